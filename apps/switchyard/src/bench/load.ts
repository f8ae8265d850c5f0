import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

/**
 * The load engine: drives one cell's connections against a server and verifies every reply
 * byte for byte. It runs inside a load-generator child process (see load-worker.ts) so that it
 * never shares an event loop with the server or the CLI, and in-process in unit tests.
 */

/** How requests are put on the wire. A reply is expected to be the request's exact bytes. */
export type Framing = 'raw' | 'length-prefixed';

export interface LoadSpec {
  readonly host: string;
  readonly port: number;
  /** `stream`: long-lived connections carrying requests. `churn`: connect, one request, close. */
  readonly kind: 'stream' | 'churn';
  /** Payload bytes per request (the length prefix, when framed, is extra). */
  readonly size: number;
  readonly framing: Framing;
  /** Connections (for churn: connect-request-close loops running at once). */
  readonly connections: number;
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
  /** Payload bytes of those replies. */
  readonly bytes: number;
  /** Window length by this process's clock. */
  readonly elapsedMs: number;
  /** Latency in microseconds, HDR histogram compressed to base64. */
  readonly histogram: string;
  /** Wrong bytes, unexpected bytes, connection failures. */
  readonly errors: number;
  /** The first few error messages. */
  readonly errorSamples: readonly string[];
  /** Requests of the window still unanswered after the drain; their age is in the histogram. */
  readonly unanswered: number;
  /** CPU this process used during the window, as a percentage of one core. */
  readonly cpuPercent: number;
}

/** Most error messages kept per result: enough to diagnose, bounded in size. */
const MAX_ERROR_SAMPLES = 5;
/** Distinct payloads per size, so a reply routed to the wrong request cannot pass verification. */
const PAYLOAD_VARIANTS = 8;
/** Open loop: most requests in flight per connection before sending waits (latency still counts). */
const OPEN_LOOP_MAX_IN_FLIGHT = 1024;
/** A connection that fails this often in one cell stops reconnecting. */
const MAX_RECONNECTS_PER_CONNECTION = 20;

/** The wire bytes of `variants` distinct random requests of `size` payload bytes. */
export function makeRequests(
  size: number,
  framing: Framing,
  variants = PAYLOAD_VARIANTS,
): Buffer[] {
  return Array.from({ length: variants }, () => {
    const payload = randomBytes(size);
    if (framing === 'raw') return payload;
    const wire = Buffer.allocUnsafe(4 + size);
    wire.writeUInt32BE(size, 0);
    payload.copy(wire, 4);
    return wire;
  });
}

/** A new latency histogram in microseconds, 3 significant digits. */
export function newLatencyHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3 });
}

/**
 * Checks a stream of replies against the requests sent, in order, without copying. Each chunk
 * is compared in place with the expected request bytes; the first difference is an error.
 */
export class ReplyVerifier {
  private readonly expected: Buffer[] = [];
  private head = 0;
  private offset = 0;

  /** Requests sent and not yet fully answered. */
  get pending(): number {
    return this.expected.length - this.head;
  }

  expect(request: Buffer): void {
    this.expected.push(request);
  }

  /**
   * Consumes a chunk of reply bytes; calls `onComplete` once for each request whose reply is now
   * complete, oldest first. Returns an error message at the first wrong byte, else undefined.
   */
  consume(chunk: Buffer, onComplete: () => void): string | undefined {
    let position = 0;
    while (position < chunk.length) {
      const request = this.expected[this.head];
      if (!request) return `${chunk.length - position} unexpected bytes with no request pending`;
      const take = Math.min(request.length - this.offset, chunk.length - position);
      if (
        chunk.compare(request, this.offset, this.offset + take, position, position + take) !== 0
      ) {
        return `reply differs from the request within bytes ${this.offset}-${this.offset + take - 1} of ${request.length}`;
      }
      this.offset += take;
      position += take;
      if (this.offset === request.length) {
        this.offset = 0;
        this.head++;
        // Drop answered requests now and then so the queue does not grow for the whole window.
        if (this.head > 1024 && this.head * 2 > this.expected.length) {
          this.expected.splice(0, this.head);
          this.head = 0;
        }
        onComplete();
      }
    }
    return undefined;
  }
}

type Phase = 'idle' | 'warmup' | 'measure' | 'drain' | 'done';

/**
 * One cell's load, driven through phases by the caller: `start` connects and starts sending
 * (warm-up, nothing recorded), `measure` opens the window, `stop` closes it, waits for in-flight
 * replies (up to `drainMs`) and returns the figures.
 */
export class LoadRun {
  private phase: Phase = 'idle';
  private readonly requests: Buffer[];
  private readonly histogram = newLatencyHistogram();
  private readonly clients: Array<StreamClient | ChurnClient> = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private cpuAtStart = process.cpuUsage();
  private completed = 0;
  private completedBytes = 0;
  private errors = 0;
  private readonly errorSamples: string[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;

  constructor(readonly spec: LoadSpec) {
    this.requests = makeRequests(spec.size, spec.framing);
  }

  /** Opens the connections and starts the load; resolves once every connection tried once. */
  async start(): Promise<void> {
    this.phase = 'warmup';
    const { connections, kind, rate } = this.spec;
    for (let index = 0; index < connections; index++) {
      this.clients.push(kind === 'churn' ? new ChurnClient(this) : new StreamClient(this, index));
    }
    await Promise.all(this.clients.map((client) => client.start()));
    if (rate !== undefined && kind === 'stream') {
      // Timers fire at best every millisecond: each tick sends everything that has come due,
      // and latency is counted from when each request was due, so late sends are not hidden.
      this.ticker = setInterval(() => {
        const now = performance.now();
        for (const client of this.clients) (client as StreamClient).sendDue(now);
      }, 1);
    }
  }

  /** Opens the measurement window: counters and histogram start from zero. */
  measure(): void {
    this.phase = 'measure';
    this.windowStart = performance.now();
    this.cpuAtStart = process.cpuUsage();
    this.completed = 0;
    this.completedBytes = 0;
    this.histogram.reset();
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
      // leaves connections waiting shows it in the tail instead of looking fast.
      for (const sentAt of client.unansweredSince()) {
        if (sentAt < this.windowStart || sentAt >= this.windowEnd) continue;
        unanswered++;
        this.record(now - sentAt);
      }
      client.close();
    }
    const elapsedMs = this.windowEnd - this.windowStart;
    return {
      requests: this.completed,
      bytes: this.completedBytes,
      elapsedMs,
      histogram: encodeIntoCompressedBase64(this.histogram),
      errors: this.errors,
      errorSamples: [...this.errorSamples],
      unanswered,
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

  request(index: number): Buffer {
    return this.requests[index % this.requests.length]!;
  }

  /** Called by clients when a request (sent at `sentAt`) got its whole, verified reply. */
  complete(sentAt: number): void {
    const now = performance.now();
    if (now >= this.windowStart && now < this.windowEnd) {
      this.completed++;
      this.completedBytes += this.spec.size;
    }
    if (sentAt >= this.windowStart && sentAt < this.windowEnd) this.record(now - sentAt);
    this.checkDrained();
  }

  fail(message: string): void {
    if (!this.open) return;
    this.errors++;
    if (this.errorSamples.length < MAX_ERROR_SAMPLES) this.errorSamples.push(message);
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

/** A long-lived connection sending requests (closed loop with a depth, or on a schedule). */
class StreamClient {
  private socket: Socket | undefined;
  private verifier = new ReplyVerifier();
  /** Send time of each request in flight, oldest first. */
  private sentAt: number[] = [];
  private sentHead = 0;
  private sent = 0;
  private reconnects = 0;
  /** Set once the current connection failed, so one failure is counted once. */
  private broken = false;
  /** Open loop: when the next request is due, and the gap between requests. */
  private nextDue = 0;
  private readonly interval: number;

  constructor(
    private readonly run: LoadRun,
    index: number,
  ) {
    const { rate, connections } = run.spec;
    this.interval = rate ? (connections * 1000) / rate : 0;
    // Spread the connections' schedules evenly over one interval.
    this.nextDue = performance.now() + (this.interval * index) / connections;
  }

  get inFlight(): number {
    return this.sentAt.length - this.sentHead;
  }

  start(): Promise<void> {
    return new Promise((resolve) => {
      const { host, port } = this.run.spec;
      const socket = connect({ host, port, noDelay: true });
      this.socket = socket;
      this.verifier = new ReplyVerifier();
      this.sentAt = [];
      this.sentHead = 0;
      this.broken = false;
      let settled = false;
      socket.once('connect', () => {
        settled = true;
        resolve();
        if (this.run.spec.rate === undefined) this.fillDepth();
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (error) => this.breakWith(`connection: ${error.message}`));
      socket.on('close', () => {
        if (!settled) {
          settled = true;
          resolve();
        }
        if (this.socket !== socket) return;
        if (!this.broken && this.run.sending) {
          this.run.fail(`server closed a connection with ${this.inFlight} requests in flight`);
        }
        this.socket = undefined;
        // Requests on a failed connection are errors already; they no longer count as in flight.
        this.sentAt = [];
        this.sentHead = 0;
        this.run.checkDrained();
        if (this.run.sending && ++this.reconnects <= MAX_RECONNECTS_PER_CONNECTION) {
          void this.start();
        }
      });
    });
  }

  /** Open loop: sends every request that has come due, each stamped with its due time. */
  sendDue(now: number): void {
    while (this.nextDue <= now && this.inFlight < OPEN_LOOP_MAX_IN_FLIGHT && this.socket) {
      this.send(this.nextDue);
      this.nextDue += this.interval;
    }
  }

  private fillDepth(): void {
    while (this.run.sending && this.socket && this.inFlight < this.run.spec.depth) {
      this.send(performance.now());
    }
  }

  private send(sentAt: number): void {
    const request = this.run.request(this.sent++);
    this.verifier.expect(request);
    this.sentAt.push(sentAt);
    this.socket!.write(request);
  }

  private onData(chunk: Buffer): void {
    const error = this.verifier.consume(chunk, () => {
      const sentAt = this.sentAt[this.sentHead++]!;
      if (this.sentHead > 1024 && this.sentHead * 2 > this.sentAt.length) {
        this.sentAt.splice(0, this.sentHead);
        this.sentHead = 0;
      }
      this.run.complete(sentAt);
    });
    if (error) {
      // The stream is out of step now: start over on a fresh connection.
      this.breakWith(error);
      this.socket?.destroy();
      return;
    }
    if (this.run.spec.rate === undefined) this.fillDepth();
  }

  private breakWith(message: string): void {
    if (this.broken) return;
    this.broken = true;
    this.run.fail(message);
  }

  unansweredSince(): number[] {
    return this.sentAt.slice(this.sentHead);
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}

/** Connect, send one request, read its reply, close; again and again (closed loop). */
class ChurnClient {
  private socket: Socket | undefined;
  private startedAt = 0;
  private busy = false;
  private consecutiveFailures = 0;

  constructor(private readonly run: LoadRun) {}

  get inFlight(): number {
    return this.busy ? 1 : 0;
  }

  start(): Promise<void> {
    this.next();
    return Promise.resolve();
  }

  private next(): void {
    if (!this.run.sending) return;
    this.busy = true;
    this.startedAt = performance.now();
    const { host, port } = this.run.spec;
    const request = this.run.request(Math.floor(Math.random() * 1024));
    const verifier = new ReplyVerifier();
    verifier.expect(request);
    let answered = false;
    let failed = false;
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      const error = verifier.consume(chunk, () => {
        answered = true;
        socket.end();
      });
      if (error) {
        failed = true;
        this.run.fail(error);
        socket.destroy();
      }
    });
    socket.on('error', (error) => {
      failed = true;
      this.run.fail(`connection: ${error.message}`);
    });
    socket.on('close', () => {
      this.socket = undefined;
      this.busy = false;
      if (answered && !failed) {
        this.consecutiveFailures = 0;
        this.run.complete(this.startedAt);
      } else if (!failed && this.run.open) {
        this.run.fail('server closed the connection before replying');
      }
      if (!answered || failed) this.consecutiveFailures++;
      this.run.checkDrained();
      // A server refusing every connection must not turn this loop into a busy spin.
      if (this.consecutiveFailures > 0) setTimeout(() => this.next(), 10);
      else setImmediate(() => this.next());
    });
  }

  unansweredSince(): number[] {
    return this.busy ? [this.startedAt] : [];
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
