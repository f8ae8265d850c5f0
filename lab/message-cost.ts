// What moving a request between threads costs, the figures the worker pool's design rests on:
//   1. a postMessage round trip of one 1 KiB message, one at a time;
//   2. the same per request when 100 requests of 1 KiB travel packed in one message;
//   3. the time the sending thread spends in one postMessage when the receiving worker is busy
//      (polling its port) and when it sleeps and has to be woken, 0.3 ms apart;
//   4. piscina (the usual pool library), 2 threads, 100 tasks in flight, a 1 KiB echo per task.
// No sockets. About 10 s; --quick sends a tenth of the messages.
//
//   pnpm lab message-cost [--quick]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const scale = values.quick ? 0.1 : 1;
const count = (n: number) => Math.max(1, Math.round(n * scale));

/** Microseconds per `n` of what `run` did. */
async function timed(n: number, run: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / n / 1000;
}

/** A worker from plain JavaScript (`code`), ready once it says so. */
async function evalWorker(code: string): Promise<Worker> {
  const worker = new Worker(
    `const { parentPort, receiveMessageOnPort } = require('node:worker_threads');\n${code}`,
    {
      eval: true,
    },
  );
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

const reply = (worker: Worker) => new Promise((resolve) => worker.once('message', resolve));

console.log(`node ${process.version}`);

// 1 and 2: an echo worker.
const echo = await evalWorker(
  `parentPort.on('message', (m) => parentPort.postMessage(m)); parentPort.postMessage('ready');`,
);
const message = Buffer.alloc(1024);
const oneAtATime = async (n: number) => {
  for (let i = 0; i < n; i++) {
    echo.postMessage(message);
    await reply(echo);
  }
};
const packed = async (n: number, perMessage: number) => {
  for (let i = 0; i < n; i++) {
    const bytes = new ArrayBuffer(1024 * perMessage);
    echo.postMessage(bytes, [bytes]);
    await reply(echo);
  }
};
await oneAtATime(count(2000));
const roundTrip = await timed(count(20_000), () => oneAtATime(count(20_000)));
console.log(`postMessage round trip, 1 KiB, one at a time: ${roundTrip.toFixed(1)} us`);
await packed(count(500), 100);
const perPacked = (await timed(count(5000), () => packed(count(5000), 100))) / 100;
console.log(`100 x 1 KiB packed in one message: ${perPacked.toFixed(2)} us per request`);
await echo.terminate();

// 3: the sender's time per postMessage, to a busy worker and to a sleeping one.
const WAKE_MESSAGES = count(3000);
const receivers = {
  busy:
    `parentPort.postMessage('ready'); const deadline = performance.now() + 30000; let got = 0;` +
    `while (got < ${WAKE_MESSAGES} && performance.now() < deadline) if (receiveMessageOnPort(parentPort)) got++;`,
  sleeping: `parentPort.on('message', () => {}); parentPort.postMessage('ready');`,
};
async function sendCost(receiver: keyof typeof receivers): Promise<number> {
  const worker = await evalWorker(receivers[receiver]);
  let total = 0;
  for (let i = 0; i < WAKE_MESSAGES; i++) {
    // Long enough for an idle receiver to go back to sleep.
    const until = performance.now() + 0.3;
    while (performance.now() < until);
    const bytes = new ArrayBuffer(1024);
    const start = performance.now();
    worker.postMessage({ requestIds: [i], ends: [1024], bytes }, [bytes]);
    total += performance.now() - start;
  }
  await worker.terminate();
  return (total * 1000) / WAKE_MESSAGES;
}
for (let pass = 0; pass < 2; pass++) {
  console.log(
    `postMessage, time in the sender, to a busy worker: ${(await sendCost('busy')).toFixed(1)} us`,
  );
  console.log(
    `postMessage, time in the sender, to a sleeping worker: ${(await sendCost('sleeping')).toFixed(1)} us`,
  );
}

// 4: piscina, one task per request.
const taskDir = mkdtempSync(join(tmpdir(), 'switchyard-lab-'));
writeFileSync(join(taskDir, 'echo-task.mjs'), 'export default (request) => request;\n');
const pool = new Piscina({
  filename: pathToFileURL(join(taskDir, 'echo-task.mjs')).href,
  minThreads: 2,
  maxThreads: 2,
});
const tasks = async (total: number) => {
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    inFlight.push(pool.run(message));
    if (inFlight.length === 100) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
};
await tasks(count(20_000));
const perTask = await timed(count(100_000), () => tasks(count(100_000)));
console.log(
  `piscina, 2 threads, 100 in flight, 1 KiB echo: ${perTask.toFixed(1)} us per task ` +
    `(${Math.round(1e6 / perTask)} tasks/s)`,
);
await pool.destroy();
