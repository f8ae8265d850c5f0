import type { Handler } from '@switchyard/protocol';

/**
 * Echoes, except for requests that start with a word a hostile test asks for:
 * - `gate`: blocks its thread (counted in `shared[0]`) until the test opens the gate (`shared[2]`
 *   set to 1), so the worker's next requests queue behind it; 10 s at most.
 * - `spin`: holds its thread, synchronously, until the gate opens or 10 s pass: a handler stuck
 *   in a loop (counted in `shared[0]` too).
 * - `hang`: never settles.
 * - `exit`: ends its thread with process.exit(3).
 * - `timer`: replies, and then a timer on its thread throws `thrown from a timer`.
 */
const hostile: Handler = (request, context) => {
  const word = request.toString('latin1', 0, 5);
  if (word.startsWith('gate') || word.startsWith('spin')) {
    holdThread(new Int32Array(context.options.shared as SharedArrayBuffer));
  } else if (word.startsWith('hang')) {
    return new Promise<Buffer>(() => {});
  } else if (word.startsWith('exit')) {
    process.exit(3);
  } else if (word.startsWith('timer')) {
    setTimeout(function explode() {
      throw new Error('thrown from a timer');
    }, 1);
  }
  return request;
};

function holdThread(shared: Int32Array): void {
  Atomics.add(shared, 0, 1);
  const deadline = Date.now() + 10_000;
  while (Atomics.load(shared, 2) === 0 && Date.now() < deadline) {
    Atomics.wait(shared, 2, 0, 100);
  }
}

export default hostile;
