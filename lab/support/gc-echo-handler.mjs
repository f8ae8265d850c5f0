// The handler the lab's worker-pool echo servers run: echoes, and on each thread answers `collect`
// on the `lab-gc` BroadcastChannel with a full GC (a process run with --expose-gc has `gc` on
// every thread) and that thread's used heap, so that the server can collect every worker's heap
// before it reads its RSS. Plain JavaScript, so every thread loads it as it is.
import { BroadcastChannel } from 'node:worker_threads';

let channel;
export default {
  handle: (request) => request,
  setup() {
    channel = new BroadcastChannel('lab-gc');
    channel.onmessage = ({ data }) => {
      // The other threads' answers come here too: only the question is one.
      if (data !== 'collect') return;
      globalThis.gc?.();
      channel.postMessage({ heapUsed: process.memoryUsage().heapUsed });
    };
  },
  teardown() {
    channel?.close();
  },
};
