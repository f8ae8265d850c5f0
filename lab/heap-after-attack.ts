// Is the memory a server shows after an attack kept by it, or heap the runtime grew and has not
// collected yet? Runs one contender in this process (`length-prefixed`, echo), lets
// --hostile clients send 2-byte requests as fast as it reads them and never read a reply (chaos's
// `never-read`) for --seconds while 4 good clients check their echoes, then prints, second by
// second and after the attackers left: RSS, the main thread's V8 heap (used / committed) and,
// on Node >= 22, every worker thread's; last, the same after a full collection forced on every
// thread (the main thread's through `--expose-gc` set at run time, the workers' by taking a heap
// snapshot, which collects first). Heap that falls to near the start there was garbage.
//
//   pnpm lab heap-after-attack [--contender worker-pool:offload] [--seconds 4] [--hostile 8]
//
// The workers are reached through the pool's private `pool.workers` (a lab script may). Linux
// and loopback only.
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import type { HeapInfo } from 'node:v8';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { neverRead } from '@switchyard/chaos';
import { getContender } from '@switchyard/cli';
import { lengthPrefixedCodec, type TcpAddress } from '@switchyard/protocol';
import { boundedCount } from './support/stats.js';

const { values } = parseArgs({
  options: {
    contender: { type: 'string', default: 'worker-pool:offload' },
    seconds: { type: 'string', default: '4' },
    hostile: { type: 'string', default: '8' },
  },
});
const seconds = boundedCount('seconds', values.seconds, 60);
const hostile = boundedCount('hostile', values.hostile, 256);
const contender = getContender(values.contender);
const server = await contender.strategy.listen({
  ...contender.options,
  codec: 'length-prefixed',
  handler: 'echo',
});
const { port } = server.address as TcpAddress;

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
/** A worker thread's heap, as Node >= 22 lets the parent read it (@types/node 20 lacks it). */
interface HeapReader {
  getHeapStatistics?(): Promise<HeapInfo>;
  getHeapSnapshot(): Promise<AsyncIterable<unknown>>;
}
/** The pool's worker threads, when this contender has them (Node >= 22 can read their heaps). */
function workerThreads(): HeapReader[] {
  const pool = (server as unknown as { pool?: { workers: ({ thread: HeapReader } | undefined)[] } })
    .pool;
  return (pool?.workers ?? [])
    .map((worker) => worker?.thread)
    .filter((thread): thread is HeapReader => typeof thread?.getHeapStatistics === 'function');
}
async function show(label: string): Promise<void> {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  const workers = await Promise.all(
    workerThreads().map(async (thread, index) => {
      const heap = await thread.getHeapStatistics!();
      return `worker ${index} ${mib(heap.used_heap_size)}/${mib(heap.total_heap_size)}`;
    }),
  );
  console.log(
    `${label.padEnd(18)} RSS ${mib(rss).padStart(4)} MiB  main heap ${mib(heapUsed)}/${mib(heapTotal)}  ${workers.join('  ')}  good replies ${good}`,
  );
}

// Good clients: 4 connections, one 1 KiB echo each in flight, every reply checked.
let good = 0;
let stopping = false;
const payload = Buffer.alloc(1024, 0x61);
const frame = lengthPrefixedCodec.encode(payload);
const goodSockets = Array.from({ length: 4 }, () => {
  const socket = connect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    while (received.length >= frame.length) {
      if (!received.subarray(0, frame.length).equals(frame)) throw new Error('wrong reply');
      received = received.subarray(frame.length);
      good++;
      if (!stopping) socket.write(frame);
    }
  });
  socket.write(frame);
  return socket;
});
const tick = () => new Promise((resolve) => setTimeout(resolve, 1000));

console.log(`${contender.name} on Node ${process.version}, ${hostile} never-reading clients`);
await tick();
await show('before');
const request = Buffer.from(lengthPrefixedCodec.encode(Buffer.from('hi')));
const attack = neverRead({ connections: hostile, bytesPerConnection: 1024 * 1024 * 1024 }).start({
  host: '127.0.0.1',
  port,
  codec: lengthPrefixedCodec,
  maxFrameBytes: 1024 * 1024,
  request: () => request,
});
for (let second = 1; second <= seconds; second++) {
  await tick();
  await show(`attack ${second} s`);
}
attack.stop();
for (let second = 1; second <= 3; second++) {
  await tick();
  await show(`after ${second} s`);
}
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();
for (const thread of workerThreads()) {
  for await (const _ of await thread.getHeapSnapshot()) {
    // Read to the end: the collection came first, the snapshot is not wanted.
  }
}
await tick();
await show('after a full GC');
stopping = true;
for (const socket of goodSockets) socket.destroy();
await server.close();
