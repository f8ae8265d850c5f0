import { performance } from 'node:perf_hooks';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { DialTarget } from './dial.js';
import {
  ChurnClient,
  type Damage,
  type LoadClient,
  type LoadClientRun,
  StreamClient,
} from './load-clients.js';
import type { Traffic, TrafficSpec } from './traffic.js';

/**
 * The load engine: drives one cell's connections against a server and checks every reply with
 * the workload's oracle. It runs inside a load-generator child process (see load-worker.ts) so
 * that it never shares an event loop with the server or the caller, and in-process in unit tests.
 */

/** One cell's load against the server at `host:port` (over TLS with `tls`). */
export interface LoadSpec extends TrafficSpec, DialTarget {
  /** `stream`: long-lived connections carrying requests. `churn`: connect, one request, close. */
  readonly pattern: 'stream' | 'churn';
  /** Connections (for churn: connect-request-close loops running at once). */
  readonly connections: number;
  /**
   * Index of this generator's first connection in the cell: connection numbers handed to the
   * workload are unique across every load generator of a cell.
   */
  readonly connectionOffset: number;
  /** Closed loop: requests in flight per connection. */
  readonly depth: number;
  /**
   * Open loop: requests per second across all connections of this spec, sent on a fixed
   * schedule whatever the replies do; latency counts from the scheduled send time.
   */
  readonly rate?: number;
}

/** What one load generator measured over one window. */
export interface LoadResult {
  /** Replies completed inside the window. */
  readonly requests: number;
  /** Request frame bytes of those replies. */
  readonly bytes: number;
  /** Window length by this process's clock. */
  readonly elapsedMs: number;
  /** Latency in microseconds, HDR histogram compressed to base64. */
  readonly histogram: string;
  /** Wrong replies, unexpected bytes, connection failures. */
  readonly errors: number;
  /**
   * Request frame bytes whose replies will never come: in flight on a connection the server
   * closed or reset (or that failed), or still unanswered after the drain. A connection this run
   * closes itself loses nothing.
   */
  readonly lostBytes: number;
  /**
   * Request frame bytes whose reply failed the oracle: corrupted, or in the place of another
   * request's reply (out of order). A stream is out of step after its first wrong reply, so the
   * requests behind it on that connection count as lost.
   */
  readonly wrongBytes: number;
  /** The first few error messages. */
  readonly errorSamples: readonly string[];
  /**
   * Requests still unanswered after the drain, whenever they were sent (warm-up included): a
   * connection left waiting since the warm-up is starved, not idle. Their age is in the histogram.
   */
  readonly unanswered: number;
  /** Replies completed inside the window, per connection (for churn: per loop), in order. */
  readonly perConnection: readonly number[];
  /** CPU this process used during the window, as a percentage of one core. */
  readonly cpuPercent: number;
}

/** Most error messages kept per result: enough to diagnose, bounded in size. */
const MAX_ERROR_SAMPLES = 5;

/** A new latency histogram in microseconds, 3 significant digits. */
export function newLatencyHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3 });
}

type Phase = 'idle' | 'warmup' | 'measure' | 'drain' | 'done';

/**
 * One cell's load, driven through phases by the caller: `start` connects and starts sending
 * (warm-up, nothing recorded), `measure` opens the window, `stop` closes it, waits for in-flight
 * replies (up to `drainMs`) and returns the figures.
 */
export class LoadRun implements LoadClientRun {
  private phase: Phase = 'idle';
  private readonly histogram = newLatencyHistogram();
  private clients: readonly LoadClient[] = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private cpuAtStart = process.cpuUsage();
  private completed = 0;
  private completedBytes = 0;
  private errors = 0;
  private lostBytes = 0;
  private wrongBytes = 0;
  private readonly errorSamples: string[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  /** Replies since `start`, window or not: what the warm-up watches settle. */
  private completedSinceStart = 0;
  /** When `window()` last cut: requests sent before it are in an earlier window's latency. */
  private lastCut = Number.NEGATIVE_INFINITY;

  constructor(
    readonly spec: LoadSpec,
    readonly traffic: Traffic,
  ) {}

  /** Opens the connections and starts the load; resolves once every connection tried once. */
  async start(): Promise<void> {
    this.phase = 'warmup';
    // Until `measure`, the window is the warm-up's: what `window()` reports if cut before it.
    this.windowStart = performance.now();
    const { connections, pattern, rate, connectionOffset } = this.spec;
    if (pattern === 'churn') {
      this.clients = Array.from(
        { length: connections },
        (_, index) => new ChurnClient(this, connectionOffset + index),
      );
      await Promise.all(this.clients.map((client) => client.start()));
      return;
    }
    const streams = Array.from(
      { length: connections },
      (_, index) => new StreamClient(this, index, connectionOffset + index),
    );
    this.clients = streams;
    await Promise.all(streams.map((client) => client.start()));
    if (rate !== undefined) {
      // Timers fire at best every millisecond: each tick sends everything that has come due,
      // and latency is counted from when each request was due, so late sends are not hidden.
      this.ticker = setInterval(() => {
        const now = performance.now();
        for (const client of streams) client.sendDue(now);
      }, 1);
    }
  }

  /** Opens the measurement window: counters and histogram start from zero. */
  measure(): void {
    this.phase = 'measure';
    this.windowStart = performance.now();
    this.windowEnd = Number.POSITIVE_INFINITY;
    this.cpuAtStart = process.cpuUsage();
    this.completed = 0;
    this.completedBytes = 0;
    for (const client of this.clients) client.completedInWindow = 0;
    this.histogram.reset();
  }

  /**
   * Closes the current window and opens the next one at once, without a drain: consecutive
   * windows over the same connections (chaos's phases). Requests in flight at the cut are
   * recorded in the closing window's latency at their age so far, and in no later window, so a
   * stall shows in the window it happened in.
   */
  window(): LoadResult {
    this.windowEnd = performance.now();
    const cpu = process.cpuUsage(this.cpuAtStart);
    for (const client of this.clients) {
      for (const { sentAt } of client.unanswered()) {
        if (sentAt >= this.windowStart) this.record(this.windowEnd - sentAt);
      }
    }
    this.lastCut = this.windowEnd;
    const result = this.result(cpu, 0);
    // Failures belong to the window they happened in (a bench's window also counts its warm-up's).
    this.errors = 0;
    this.lostBytes = 0;
    this.wrongBytes = 0;
    this.errorSamples.length = 0;
    this.measure();
    return result;
  }

  /** Replies completed since the load started. */
  get completedSoFar(): number {
    return this.completedSinceStart;
  }

  /** Closes the window, drains, closes every connection and returns the window's figures. */
  async stop(drainMs: number): Promise<LoadResult> {
    this.windowEnd = performance.now();
    const cpu = process.cpuUsage(this.cpuAtStart);
    this.phase = 'drain';
    if (this.ticker) clearInterval(this.ticker);
    if (this.inFlight() > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.phase = 'done';
    const now = performance.now();
    let unanswered = 0;
    for (const client of this.clients) {
      // Starved requests are recorded with their age so far, a lower bound, so a server that
      // leaves connections waiting shows it in the tail instead of looking fast (unless a cut of
      // `window()` recorded them already). Their bytes will never come back: lost.
      for (const { sentAt, bytes } of client.unanswered()) {
        if (sentAt >= this.windowEnd) continue;
        unanswered++;
        this.lostBytes += bytes;
        if (sentAt >= this.lastCut) this.record(now - sentAt);
      }
      client.close();
    }
    return this.result(cpu, unanswered);
  }

  /** The figures of the window that ended at `windowEnd`. */
  private result(cpu: NodeJS.CpuUsage, unanswered: number): LoadResult {
    const elapsedMs = this.windowEnd - this.windowStart;
    return {
      requests: this.completed,
      bytes: this.completedBytes,
      elapsedMs,
      histogram: encodeIntoCompressedBase64(this.histogram),
      errors: this.errors,
      lostBytes: this.lostBytes,
      wrongBytes: this.wrongBytes,
      errorSamples: [...this.errorSamples],
      unanswered,
      perConnection: this.clients.map((client) => client.completedInWindow),
      cpuPercent: elapsedMs > 0 ? ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100 : 0,
    };
  }

  /** True while new requests may be sent. */
  get sending(): boolean {
    return this.phase === 'warmup' || this.phase === 'measure';
  }

  /** True until the run has been stopped and closed. */
  get open(): boolean {
    return this.phase !== 'done';
  }

  /** Called by clients when a request (sent at `sentAt`) got its whole, checked reply. */
  complete(client: LoadClient, sentAt: number, requestBytes: number): void {
    const now = performance.now();
    this.completedSinceStart++;
    if (now >= this.windowStart && now < this.windowEnd) {
      this.completed++;
      this.completedBytes += requestBytes;
      client.completedInWindow++;
    }
    if (sentAt >= this.windowStart && sentAt < this.windowEnd) this.record(now - sentAt);
    this.checkDrained();
  }

  fail(message: string): void {
    if (!this.open) return;
    this.errors++;
    if (this.errorSamples.length < MAX_ERROR_SAMPLES) this.errorSamples.push(message);
  }

  lose(damage: Damage): void {
    if (!this.open) return;
    this.lostBytes += damage.lostBytes ?? 0;
    this.wrongBytes += damage.wrongBytes ?? 0;
  }

  /** Clients call this when requests leave flight, so the drain ends as soon as nothing is owed. */
  checkDrained(): void {
    if (this.phase === 'drain' && this.drained && this.inFlight() === 0) this.drained();
  }

  private record(elapsedMs: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(elapsedMs * 1000)));
  }

  private inFlight(): number {
    let total = 0;
    for (const client of this.clients) total += client.inFlight;
    return total;
  }
}
