/**
 * Proves two handler calls run at the same instant, with shared memory instead of a stopwatch.
 * `options.probe` is a `SharedArrayBuffer` with one Int32 slot counting calls that started.
 * Each call counts itself, then blocks its thread until `options.expect` (default 2) calls have
 * started or `options.waitMs` (default 5000) passes. It replies `PARALLEL` if it saw the others
 * while still running, `SERIAL__` if it gave up (same length, so replies read alike).
 */
export const PARALLEL_REPLY = 'PARALLEL';
export const SERIAL_REPLY = 'SERIAL__';

export default function parallelProbe(
  _request: Buffer,
  context: { options: Readonly<Record<string, unknown>> },
): Buffer {
  const started = new Int32Array(context.options.probe as SharedArrayBuffer);
  const expected = Number(context.options.expect ?? 2);
  const deadline = Date.now() + Number(context.options.waitMs ?? 5_000);
  Atomics.add(started, 0, 1);
  Atomics.notify(started, 0);
  for (;;) {
    const seen = Atomics.load(started, 0);
    if (seen >= expected) return Buffer.from(PARALLEL_REPLY);
    const remaining = deadline - Date.now();
    if (remaining <= 0) return Buffer.from(SERIAL_REPLY);
    Atomics.wait(started, 0, seen, remaining);
  }
}
