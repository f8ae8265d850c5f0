/**
 * Echoes each request only once a gate opens, so a case can hold requests in flight for as long
 * as it needs without a timer. `options.gate` is a `SharedArrayBuffer` of two Int32 slots:
 * slot 0 counts requests that arrived, slot 1 is the gate (0 closed, 1 open). Shared memory
 * reaches worker threads too, so the same gate works whichever thread runs the handler.
 */
export const ARRIVED = 0;
export const OPEN = 1;
/** A closed gate lets requests through after this long anyway, so nothing waits forever. */
export const GATE_LIMIT_MS = 20_000;

type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: boolean; value: Promise<string> | string };

export default async function gated(
  request: Buffer,
  context: { options: Readonly<Record<string, unknown>> },
): Promise<Buffer> {
  const gate = new Int32Array(context.options.gate as SharedArrayBuffer);
  Atomics.add(gate, ARRIVED, 1);
  Atomics.notify(gate, ARRIVED);
  const deadline = Date.now() + GATE_LIMIT_MS;
  const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
  while (Atomics.load(gate, OPEN) === 0 && Date.now() < deadline) {
    const result = waitAsync(gate, OPEN, 0, deadline - Date.now());
    if (result.async) await result.value;
  }
  return request;
}
