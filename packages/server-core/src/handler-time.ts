import {
  HANDLER_TIME_BOUNDS_SECONDS,
  type Handler,
  type HandlerTimeHistogram,
  type Reply,
} from '@switchyard/protocol';

/** The bounds in milliseconds, what `performance.now()` differences are in. */
const BOUNDS_MS = Float64Array.from(HANDLER_TIME_BOUNDS_SECONDS, (seconds) => seconds * 1000);

/**
 * The mutable side of a {@link HandlerTimeHistogram}, for the thread that times handler calls:
 * one observation is a few comparisons and two additions into memory allocated once.
 */
export class HandlerTimes {
  private readonly counts = new Float64Array(BOUNDS_MS.length + 1);
  private sumMs = 0;
  private calls = 0;
  /** What the call observed last took, in milliseconds (the offload pool's cost model reads it). */
  lastMs = 0;

  get count(): number {
    return this.calls;
  }

  observe(ms: number): void {
    let index = 0;
    while (index < BOUNDS_MS.length && ms > BOUNDS_MS[index]!) index++;
    this.counts[index]!++;
    this.sumMs += ms;
    this.calls++;
    this.lastMs = ms;
  }

  /** Adds calls timed elsewhere (another thread's report). */
  add(histogram: HandlerTimeHistogram): void {
    for (let index = 0; index < this.counts.length; index++) {
      this.counts[index]! += histogram.counts[index] ?? 0;
    }
    this.sumMs += histogram.sum * 1000;
    this.calls += histogram.count;
  }

  snapshot(): HandlerTimeHistogram {
    return { counts: Array.from(this.counts), sum: this.sumMs / 1000, count: this.calls };
  }

  /** The calls since the last take, and a fresh start: what a thread sends with each report. */
  take(): HandlerTimeHistogram {
    const taken = this.snapshot();
    this.counts.fill(0);
    this.sumMs = 0;
    this.calls = 0;
    return taken;
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
