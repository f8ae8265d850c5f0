import type { Handler } from '@switchyard/protocol';

/**
 * Synchronous echo. A request starting with `gate` counts itself in `shared[0]`, then blocks its
 * thread until the test opens the gate (`shared[2]` set to 1), so the worker cannot take its next
 * message meanwhile. A call that waits 10 s in vain counts itself in `shared[1]` and replies
 * anyway.
 */
const syncGated: Handler = (request, context) => {
  if (!request.toString('latin1').startsWith('gate')) return request;
  const shared = new Int32Array(context.options.shared as SharedArrayBuffer);
  Atomics.add(shared, 0, 1);
  const deadline = Date.now() + 10_000;
  while (Atomics.load(shared, 2) === 0) {
    if (Date.now() > deadline) {
      Atomics.add(shared, 1, 1);
      break;
    }
    Atomics.wait(shared, 2, 0, 100);
  }
  return request;
};

export default syncGated;
