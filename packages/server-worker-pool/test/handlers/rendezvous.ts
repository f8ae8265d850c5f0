import type { Handler } from '@switchyard/protocol';

/**
 * Proves two calls overlap: each increments `shared[0]` and blocks its thread until it reads 2.
 * A call that waits 10 s in vain counts itself in `shared[1]` and replies anyway.
 */
const rendezvous: Handler = (request, context) => {
  const shared = new Int32Array(context.options.shared as SharedArrayBuffer);
  Atomics.add(shared, 0, 1);
  Atomics.notify(shared, 0);
  const deadline = Date.now() + 10_000;
  for (let seen = Atomics.load(shared, 0); seen < 2; seen = Atomics.load(shared, 0)) {
    if (Date.now() > deadline) {
      Atomics.add(shared, 1, 1);
      break;
    }
    Atomics.wait(shared, 0, seen, 100);
  }
  return request;
};

export default rendezvous;
