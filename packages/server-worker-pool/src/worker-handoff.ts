import { type Codec, type Handler, serializeError } from '@switchyard/protocol';
import {
  MemoryBudget,
  openConnection,
  type ServedConnection,
  type StatsDelta,
  StatsRecorder,
} from '@switchyard/server-core';
import type { AdoptConnection, CloseConnection, TearDown, ToHandoffWorker } from './messages.js';
import { callReturned, callStarted, handlerTimes, init, post, startWorker } from './worker-host.js';

// The entry of a handoff thread: adopts whole connections (their sockets transferred) and runs
// server-core's connection loop on them, reporting counters to the main thread.

/** How often counters are pushed to the main thread while connections are open. */
const STATS_INTERVAL_MS = 20;

type Totals = Omit<StatsDelta, 'errors'> & { readonly errors: Readonly<Record<string, number>> };

const ZERO: Totals = {
  bytesIn: 0,
  bytesOut: 0,
  framesIn: 0,
  framesOut: 0,
  peakConnectionBufferedBytes: 0,
  errors: {},
};

class HandoffWorker {
  /** Its handler times in memory the main thread reads; the rest reported as deltas. */
  private readonly recorder = new StatsRecorder(handlerTimes);
  /** This thread's share of `maxServerBufferedBytes` (the main thread divided it among threads). */
  private readonly budget = new MemoryBudget(init.options.maxServerBufferedBytes);
  /** Handler calls begun, so the main thread can tell a call that never returns. */
  private calls = 0;
  /** The handler, its synchronous part marked in the thread's progress. */
  private readonly dispatch: Handler = (request, context) => {
    callStarted(++this.calls);
    try {
      return this.handler(request, context);
    } finally {
      callReturned();
    }
  };
  private readonly connections = new Map<number, ServedConnection>();
  /** The totals last reported, to send only what changed. */
  private reported: Totals = ZERO;
  /** True when the last list of what connections hold named any: it must be sent again. */
  private holding = false;
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly handler: Handler,
    private readonly codec: Codec,
  ) {}

  onMessage(message: Exclude<ToHandoffWorker, TearDown>): void {
    if (message.type === 'adopt') this.adopt(message);
    else this.close(message);
  }

  private adopt({ connectionId, socket }: AdoptConnection): void {
    // With tls and proxyProtocol, this thread reads the PROXY header, then shakes hands.
    const connection = openConnection(socket, {
      id: connectionId,
      codec: this.codec,
      options: init.options,
      stats: this.recorder,
      budget: this.budget,
      dispatch: this.dispatch,
      onFailure: ({ error, ...where }) =>
        post({ type: 'failure', ...where, error: serializeError(error) }),
      onProxied: (client) => post({ type: 'proxied', connectionId, ...client }),
    });
    this.connections.set(connectionId, connection);
    this.statsTimer ??= setInterval(() => this.report(), STATS_INTERVAL_MS);
    void connection.closed.then(() => {
      this.connections.delete(connectionId);
      // The final counters arrive before the close notice: the port keeps message order.
      this.report('closing');
      post({ type: 'closed', connectionId });
      if (this.connections.size === 0 && this.statsTimer) {
        clearInterval(this.statsTimer);
        this.statsTimer = undefined;
      }
    });
  }

  private close({ connectionId, graceful }: CloseConnection): void {
    const connection = this.connections.get(connectionId);
    if (!connection) return;
    if (graceful) connection.closeGracefully();
    else connection.destroy();
  }

  /**
   * Sends what changed since the last report and, on the timer, what each open connection holds
   * now. That list costs a walk over every connection, so it is made only when bytes moved or a
   * connection held some at the last one, and not for a close's report (which carries the final
   * counters before the close notice): an idle thread does no work per connection, and a close
   * none proportional to the connections open.
   */
  private report(why: 'timer' | 'closing' = 'timer'): void {
    const now = this.recorder.snapshot(0);
    const before = this.reported;
    const errors: Record<string, number> = {};
    for (const [code, count = 0] of Object.entries(now.errors)) {
      const added = count - (before.errors[code] ?? 0);
      if (added > 0) errors[code] = added;
    }
    const delta: StatsDelta = {
      bytesIn: now.bytesIn - before.bytesIn,
      bytesOut: now.bytesOut - before.bytesOut,
      framesIn: now.framesIn - before.framesIn,
      framesOut: now.framesOut - before.framesOut,
      peakConnectionBufferedBytes: now.peakConnectionBufferedBytes,
      errors,
    };
    const changed =
      delta.bytesIn > 0 ||
      delta.bytesOut > 0 ||
      delta.framesIn > 0 ||
      delta.framesOut > 0 ||
      now.peakConnectionBufferedBytes > before.peakConnectionBufferedBytes ||
      Object.keys(errors).length > 0;
    let buffered: [number, number][] | undefined;
    if (why === 'timer') {
      if (!changed && !this.holding) return;
      buffered = [];
      for (const [id, connection] of this.connections) {
        const bytes = connection.bufferedBytes;
        if (bytes > 0) buffered.push([id, bytes]);
      }
      this.holding = buffered.length > 0;
    }
    this.reported = { ...now, errors: { ...now.errors } as Record<string, number> };
    post({ type: 'stats', delta, buffered });
  }
}

void startWorker<ToHandoffWorker>((handler, codec) => {
  const worker = new HandoffWorker(handler, codec!);
  return (message) => worker.onMessage(message);
});
