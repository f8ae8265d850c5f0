import type { Handler } from '@switchyard/protocol';

/**
 * Echoes once the test opens the gate (`shared[2]` set to 1). Counts the calls running now in
 * `shared[0]` and the most ever running at once in `shared[1]`.
 */
// In every supported Node, but not in the ES2023 lib this package compiles against.
const { waitAsync } = Atomics as unknown as {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
  ): { async: false } | { async: true; value: Promise<string> };
};

const gated: Handler = async (request, context) => {
  const shared = new Int32Array(context.options.shared as SharedArrayBuffer);
  const inside = Atomics.add(shared, 0, 1) + 1;
  for (let most = Atomics.load(shared, 1); inside > most; most = Atomics.load(shared, 1)) {
    if (Atomics.compareExchange(shared, 1, most, inside) === most) break;
  }
  while (Atomics.load(shared, 2) === 0) {
    const waiting = waitAsync(shared, 2, 0);
    if (waiting.async) await waiting.value;
  }
  Atomics.sub(shared, 0, 1);
  return request;
};

export default gated;
