import { performance } from 'node:perf_hooks';
import {
  HANDLER_TIME_BOUNDS_SECONDS,
  type Handler,
  type HandlerTimeHistogram,
  type Reply,
} from '@switchyard/protocol';

/** The bounds in milliseconds, what `performance.now()` differences are in. */
const BOUNDS_MS = Float64Array.from(HANDLER_TIME_BOUNDS_SECONDS, (seconds) => seconds * 1000);
/** Where the sum (in milliseconds) and the count sit, after the bucket counts. */
const SUM = BOUNDS_MS.length + 1;
const COUNT = SUM + 1;

/**
 * The mutable side of a {@link HandlerTimeHistogram}, for the thread that times handler calls:
 * bucket counts, sum and count in one `Float64Array`, allocated once; one observation is a walk
 * up the bounds and three additions. Over a `SharedArrayBuffer`, one thread writes it and another
 * reads it without a message (the worker pool's threads): the reader takes it without a lock, so
 * a snapshot taken during a call may count it in `count` and not yet in its bucket.
 */
export class HandlerTimes {
  /** Bytes of the buffer one needs: what to allocate for a shared one. */
  static readonly BYTES = (COUNT + 1) * Float64Array.BYTES_PER_ELEMENT;

  private readonly cells: Float64Array;

  /** Over `buffer` ({@link HandlerTimes.BYTES}, zeroed or already counting), or memory of its own. */
  constructor(buffer: ArrayBufferLike = new ArrayBuffer(HandlerTimes.BYTES)) {
    this.cells = new Float64Array(buffer, 0, COUNT + 1);
  }

  get count(): number {
    return this.cells[COUNT]!;
  }

  observe(ms: number): void {
    const cells = this.cells;
    let index = 0;
    while (index < BOUNDS_MS.length && ms > BOUNDS_MS[index]!) index++;
    cells[index]!++;
    cells[SUM]! += ms;
    cells[COUNT]!++;
  }

  /** Adds calls timed elsewhere (another thread, a thread that has exited). */
  add(histogram: HandlerTimeHistogram): void {
    const cells = this.cells;
    for (let index = 0; index < SUM; index++) cells[index]! += histogram.counts[index] ?? 0;
    cells[SUM]! += histogram.sum * 1000;
    cells[COUNT]! += histogram.count;
  }

  snapshot(): HandlerTimeHistogram {
    const cells = this.cells;
    return {
      counts: Array.from(cells.subarray(0, SUM)),
      sum: cells[SUM]! / 1000,
      count: cells[COUNT]!,
    };
  }
}

/**
 * `handle`, with every call timed into `times`: until it returns (a reply, or anything that is
 * not a promise), throws, or, for a promise, settles. A synchronous call costs two clock reads
 * and {@link HandlerTimes.observe}, and allocates nothing; an asynchronous one also chains one
 * promise, which is what it resolves through. Wrap the handler where it runs: a strategy that
 * sends requests to other threads leaves the timing to them.
 */
export function timeHandlerCalls(handle: Handler, times: HandlerTimes): Handler {
  return (request, context) => {
    const start = performance.now();
    let result: Reply | Promise<Reply>;
    try {
      result = handle(request, context);
    } catch (error) {
      times.observe(performance.now() - start);
      throw error;
    }
    if (result instanceof Uint8Array || typeof (result as Promise<Reply>)?.then !== 'function') {
      times.observe(performance.now() - start);
      return result;
    }
    return (result as Promise<Reply>).then(
      (reply) => {
        times.observe(performance.now() - start);
        return reply;
      },
      (error: unknown) => {
        times.observe(performance.now() - start);
        throw error;
      },
    );
  };
}
