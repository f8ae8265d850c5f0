// Offload's thread hop without sockets, for three ways of moving requests and replies between
// the main thread and the workers. The main thread keeps 5 requests in flight per worker (like
// 10 connections on 2 workers); each is 1 KiB and costs one `burn` call (about 200 us) in the
// worker. Prints the process CPU per request (all threads) and the rate, 3 alternating rounds.
//
//   message  one MessagePort message per batch each way (offload before merged answers)
//   merged   the same, but a worker runs the batches already queued before answering
//   ring     SharedArrayBuffer slots each way: a message only to wake an idle worker, and one bare
//            notification per answer (offload now uses shared memory for replies only: the
//            reply ring in src/reply-ring.ts)
//
// Needs the built protocol package (pnpm build). Usage: node scripts/transport-prototype.mjs
import {
  isMainThread,
  parentPort,
  receiveMessageOnPort,
  Worker,
  workerData,
} from 'node:worker_threads';
import burn from '@switchyard/protocol/handlers/burn';

const SIZE = 1024;
const IN_FLIGHT = 5;
const WORKERS = 2;
const REQUESTS = 6000;
const SLOTS = 8;
const MERGE_BUDGET_MS = 1;
// ring control words: [0] requests written, [1] replies written, [2] worker idle (1) or busy (0)
const WRITTEN = 0;
const ANSWERED = 1;
const IDLE = 2;
const context = { connectionId: 1, remoteAddress: '', remotePort: 0, codec: 'raw', options: {} };

async function run(transport) {
  const request = Buffer.alloc(SIZE, 3);
  const workers = [];
  for (let i = 0; i < WORKERS; i++) {
    const shared = new SharedArrayBuffer(64 + SLOTS * SIZE * 2);
    const thread = new Worker(new URL(import.meta.url), { workerData: { transport, shared } });
    await new Promise((resolve) => thread.once('message', resolve));
    workers.push({
      thread,
      control: new Int32Array(shared, 0, 16),
      data: new Uint8Array(shared, 64),
      sent: 0,
      got: 0,
    });
  }
  let sent = 0;
  let answered = 0;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await new Promise((finish) => {
    const send = (worker) => {
      if (sent === REQUESTS) return;
      sent++;
      if (transport === 'ring') {
        worker.data.set(request, (worker.sent++ % SLOTS) * SIZE);
        Atomics.store(worker.control, WRITTEN, worker.sent);
        if (Atomics.load(worker.control, IDLE) === 1) worker.thread.postMessage(0);
      } else {
        const bytes = new ArrayBuffer(SIZE);
        new Uint8Array(bytes).set(request);
        worker.thread.postMessage(
          {
            type: 'requests',
            requestIds: [sent],
            connectionIds: [1],
            ends: [SIZE],
            bytes,
            peers: [],
            forget: [],
          },
          [bytes],
        );
      }
    };
    const settle = (worker) => {
      if (++answered === REQUESTS) finish();
      else send(worker);
    };
    for (const worker of workers) {
      worker.thread.on('message', (message) => {
        if (transport === 'ring') {
          for (
            const seen = Atomics.load(worker.control, ANSWERED);
            worker.got < seen;
            worker.got++
          ) {
            const offset = (SLOTS + (worker.got % SLOTS)) * SIZE;
            Buffer.from(worker.data.subarray(offset, offset + SIZE));
            settle(worker);
          }
        } else {
          for (let i = 0; i < message.requestIds.length; i++) {
            Buffer.from(message.bytes, i * SIZE, SIZE);
            settle(worker);
          }
        }
      });
      for (let i = 0; i < IN_FLIGHT; i++) send(worker);
    }
  });
  const cpu = process.cpuUsage(cpuStart);
  const seconds = (performance.now() - wallStart) / 1000;
  await Promise.all(workers.map(({ thread }) => thread.terminate()));
  return `${transport.padEnd(8)} ${((cpu.user + cpu.system) / REQUESTS).toFixed(1)} us CPU/req, ${(REQUESTS / seconds).toFixed(0)} req/s`;
}

function serveMessages(merge) {
  parentPort.on('message', (first) => {
    const started = performance.now();
    const requestIds = [];
    for (let batch = first; batch; ) {
      for (let i = 0; i < batch.requestIds.length; i++) {
        burn(Buffer.from(batch.bytes, i * SIZE, SIZE), context);
        requestIds.push(batch.requestIds[i]);
      }
      batch =
        merge && performance.now() - started < MERGE_BUDGET_MS
          ? receiveMessageOnPort(parentPort)?.message
          : undefined;
    }
    const bytes = new ArrayBuffer(SIZE * requestIds.length);
    parentPort.postMessage(
      {
        type: 'replies',
        requestIds,
        ends: requestIds.map((_, i) => (i + 1) * SIZE),
        bytes,
        failures: [],
        batchesDone: 1,
        runMicros: 0,
      },
      [bytes],
    );
  });
}

function serveRing(shared) {
  const control = new Int32Array(shared, 0, 16);
  const data = new Uint8Array(shared, 64);
  let handled = 0;
  const drain = () => {
    Atomics.store(control, IDLE, 0);
    for (;;) {
      const started = performance.now();
      const before = handled;
      while (
        handled < Atomics.load(control, WRITTEN) &&
        performance.now() - started < MERGE_BUDGET_MS
      ) {
        const slot = handled % SLOTS;
        const reply = burn(Buffer.from(shared, 64 + slot * SIZE, SIZE), context);
        data.set(reply, (SLOTS + slot) * SIZE);
        handled++;
      }
      if (handled > before) {
        Atomics.store(control, ANSWERED, handled);
        parentPort.postMessage(0);
      }
      if (handled < Atomics.load(control, WRITTEN)) continue;
      // Say idle, then look once more: a request written before the flag was seen needs no wakeup.
      Atomics.store(control, IDLE, 1);
      if (handled === Atomics.load(control, WRITTEN)) return;
      Atomics.store(control, IDLE, 0);
    }
  };
  parentPort.on('message', drain);
  drain();
}

if (isMainThread) {
  console.log(
    `node ${process.version}, ${WORKERS} workers, ${IN_FLIGHT} in flight each, burn on 1 KiB`,
  );
  for (let round = 0; round < 3; round++) {
    for (const transport of ['message', 'merged', 'ring']) console.log(await run(transport));
  }
} else {
  const { transport, shared } = workerData;
  if (transport === 'ring') serveRing(shared);
  else serveMessages(transport === 'merged');
  parentPort.postMessage('ready');
}
