// Per-message cost of worker_threads messaging, one at a time and packed, and piscina per task.
// Bounded: about 10 s. `node scripts/message-cost.mjs`
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

function taskFile() {
  const file = join(mkdtempSync(join(tmpdir(), 'switchyard-')), 'echo-task.mjs');
  writeFileSync(file, 'export default (buf) => buf;\n');
  return pathToFileURL(file).href;
}
// piscina is not a dependency: copy this script into a scratch folder where
// `npm install piscina@5.3.2` was run to include it; otherwise that part is skipped.
const { Piscina } = await import('piscina').catch(() => ({ Piscina: undefined }));
// 1) ping-pong round trip of one 1 KiB message, one at a time
const w = new Worker(
  `const {parentPort}=require('node:worker_threads');parentPort.on('message',(m)=>parentPort.postMessage(m))`,
  { eval: true },
);
const msg = Buffer.alloc(1024);
async function pingpong(n) {
  for (let i = 0; i < n; i++) {
    w.postMessage(msg);
    await new Promise((r) => w.once('message', r));
  }
}
await pingpong(2000);
let t = process.hrtime.bigint();
await pingpong(20000);
console.log(
  'postMessage round trip, 1 KiB, one at a time:',
  (Number(process.hrtime.bigint() - t) / 20000 / 1000).toFixed(1),
  'us',
);
// 2) batched: 100 x 1 KiB packed in one message per round trip
async function batched(n, k) {
  for (let i = 0; i < n; i++) {
    const ab = new ArrayBuffer(1024 * k);
    w.postMessage(ab, [ab]);
    await new Promise((r) => w.once('message', r));
  }
}
await batched(500, 100);
t = process.hrtime.bigint();
await batched(5000, 100);
console.log(
  'batched 100 x 1 KiB per message: per request',
  (Number(process.hrtime.bigint() - t) / 5000 / 100 / 1000).toFixed(2),
  'us',
);
await w.terminate();
// 3) piscina: 100 tasks in flight, 2 threads
if (!Piscina) {
  console.log('piscina not installed: skipped');
  process.exit(0);
}
const pool = new Piscina({ filename: taskFile(), minThreads: 2, maxThreads: 2 });
async function pisc(total) {
  let inflight = [];
  for (let i = 0; i < total; i++) {
    inflight.push(pool.run(msg));
    if (inflight.length === 100) {
      await Promise.all(inflight);
      inflight = [];
    }
  }
  await Promise.all(inflight);
}
await pisc(20000);
t = process.hrtime.bigint();
await pisc(100000);
const us = Number(process.hrtime.bigint() - t) / 100000 / 1000;
console.log(
  'piscina 2 threads, 100 in flight, 1 KiB echo: per task',
  us.toFixed(1),
  'us =',
  Math.round(1e6 / us),
  'tasks/s',
);
await pool.destroy();
