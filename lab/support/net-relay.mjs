// The least a TCP echo server can do to have a worker thread answer each read, with the public
// Node API: the floor of what offload's relay can cost. No framing, no fairness, no limits, one
// worker. `node net-relay.mjs post|atomics`:
//   post     each chunk read goes to the worker in its own postMessage (its buffer transferred),
//            and comes back the same way; the connection writes it.
//   atomics  chunks go through a SharedArrayBuffer of fixed slots each way; the worker sleeps in
//            Atomics.wait and the main thread in Atomics.waitAsync, and each side wakes the other
//            only when it sleeps (a flag), so a busy side takes work without a wake-up.
// Prints `listening on 127.0.0.1:PORT` as `switchyard serve` does. For `lab rig-cpu`.
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';

const mode = process.argv[2];
const SLOTS = 64;
const SLOT_BYTES = 1 << 16; // a socket read is at most 64 KiB
// Control words: how many chunks each side has put in its ring so far, and a flag per side that it
// is about to sleep. Each side counts what it has taken itself.
const [REQ_HEAD, REP_HEAD, WORKER_SLEEPS, MAIN_SLEEPS] = [0, 1, 2, 3];

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const [REQ_HEAD, REP_HEAD, WORKER_SLEEPS, MAIN_SLEEPS] = [0, 1, 2, 3];
parentPort.postMessage('ready');
if (workerData === null) {
  parentPort.on('message', ({ id, bytes }) => parentPort.postMessage({ id, bytes }, [bytes]));
} else {
  const { control, requests, replies, slots, slotBytes } = workerData;
  const ctl = new Int32Array(control);
  const reqMeta = new Int32Array(requests, 0, slots * 2);
  const repMeta = new Int32Array(replies, 0, slots * 2);
  const reqBytes = new Uint8Array(requests, slots * 8);
  const repBytes = new Uint8Array(replies, slots * 8);
  for (let tail = 0; ; ) {
    if (tail === Atomics.load(ctl, REQ_HEAD)) {
      Atomics.store(ctl, WORKER_SLEEPS, 1);
      // Checked again after the flag: the main thread may have added one in between.
      if (tail === Atomics.load(ctl, REQ_HEAD)) Atomics.wait(ctl, WORKER_SLEEPS, 1);
      Atomics.store(ctl, WORKER_SLEEPS, 0);
      continue;
    }
    // The reply ring has as many slots as the request ring, and the main thread admits a request
    // only when both have room, so a reply never waits for a slot.
    const from = tail % slots;
    const to = Atomics.load(ctl, REP_HEAD) % slots;
    const length = reqMeta[from * 2];
    repMeta[to * 2] = length;
    repMeta[to * 2 + 1] = reqMeta[from * 2 + 1];
    repBytes.set(reqBytes.subarray(from * slotBytes, from * slotBytes + length), to * slotBytes);
    tail++;
    Atomics.add(ctl, REP_HEAD, 1);
    if (Atomics.exchange(ctl, MAIN_SLEEPS, 0) === 1) Atomics.notify(ctl, MAIN_SLEEPS);
  }
}
`;

const sockets = new Map();
let nextId = 1;
let send;

if (mode === 'post') {
  const worker = new Worker(WORKER, { eval: true, workerData: null });
  worker.on('message', (message) => {
    if (message === 'ready') return;
    sockets.get(message.id)?.write(Buffer.from(message.bytes));
  });
  send = (id, chunk) => {
    const bytes =
      chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
        ? chunk.buffer
        : chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
    worker.postMessage({ id, bytes }, [bytes]);
  };
} else if (mode === 'atomics') {
  const control = new SharedArrayBuffer(8 * 4);
  const requests = new SharedArrayBuffer(SLOTS * 8 + SLOTS * SLOT_BYTES);
  const replies = new SharedArrayBuffer(SLOTS * 8 + SLOTS * SLOT_BYTES);
  const ctl = new Int32Array(control);
  const reqMeta = new Int32Array(requests, 0, SLOTS * 2);
  const repMeta = new Int32Array(replies, 0, SLOTS * 2);
  const reqBytes = new Uint8Array(requests, SLOTS * 8);
  const repBytes = new Uint8Array(replies, SLOTS * 8);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { control, requests, replies, slots: SLOTS, slotBytes: SLOT_BYTES },
  });
  worker.unref();
  let head = 0; // requests written
  let repTail = 0; // replies taken
  const backlog = []; // [id, chunk] waiting for a slot
  const put = (id, chunk) => {
    const at = head % SLOTS;
    reqMeta[at * 2] = chunk.length;
    reqMeta[at * 2 + 1] = id;
    reqBytes.set(chunk, at * SLOT_BYTES);
    head++;
    Atomics.store(ctl, REQ_HEAD, head);
  };
  const wake = () => {
    if (Atomics.exchange(ctl, WORKER_SLEEPS, 0) === 1) Atomics.notify(ctl, WORKER_SLEEPS);
  };
  // A request slot is free once its reply has been taken: requests in flight < SLOTS.
  const room = () => head - repTail < SLOTS;
  let sleeping = false;
  const takeReplies = () => {
    sleeping = false;
    for (;;) {
      const repHead = Atomics.load(ctl, REP_HEAD);
      while (repTail < repHead) {
        const at = repTail % SLOTS;
        const length = repMeta[at * 2];
        const socket = sockets.get(repMeta[at * 2 + 1]);
        socket?.write(Buffer.from(repBytes.subarray(at * SLOT_BYTES, at * SLOT_BYTES + length)));
        repTail++;
      }
      let moved = false;
      while (backlog.length > 0 && room()) {
        const [id, chunk] = backlog.shift();
        put(id, chunk);
        moved = true;
      }
      if (moved) wake();
      if (repTail === head) return; // nothing in flight: the next request starts the wait
      Atomics.store(ctl, MAIN_SLEEPS, 1);
      // Checked again after the flag: the worker may have answered in between without waking us.
      if (Atomics.load(ctl, REP_HEAD) !== repTail) {
        Atomics.store(ctl, MAIN_SLEEPS, 0);
        continue;
      }
      const wait = Atomics.waitAsync(ctl, MAIN_SLEEPS, 1);
      if (!wait.async) continue; // the worker cleared the flag: a reply came in between
      sleeping = true;
      wait.value.then(takeReplies);
      return;
    }
  };
  send = (id, chunk) => {
    if (room() && backlog.length === 0) put(id, chunk);
    else backlog.push([id, chunk]);
    wake();
    if (!sleeping) takeReplies();
  };
  await new Promise((resolve) => worker.once('message', resolve));
} else {
  throw new Error('usage: net-relay.mjs post|atomics');
}

const server = createServer({ noDelay: true }, (socket) => {
  const id = nextId++;
  sockets.set(id, socket);
  socket.on('error', () => {});
  socket.on('close', () => sockets.delete(id));
  socket.on('data', (chunk) => send(id, chunk));
});
server.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
