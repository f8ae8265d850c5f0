import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { dial } from './dial.js';
import type { LoadSpec } from './load.js';
import type { ReplyChecker, Traffic } from './traffic.js';

/**
 * The load engine's clients: each drives connections for its run and checks every reply with the
 * workload's oracle, reporting completions and failures back to the run.
 */

/** Open loop: most requests in flight per connection before sending waits (latency still counts). */
const OPEN_LOOP_MAX_IN_FLIGHT = 1024;
/** A connection that fails this often in one cell stops reconnecting. */
const MAX_RECONNECTS_PER_CONNECTION = 20;

/** What a client needs from the run it belongs to. */
export interface LoadClientRun {
  readonly spec: LoadSpec;
  /** True while new requests may be sent. */
  readonly sending: boolean;
  /** True until the run has been stopped and closed. */
  readonly open: boolean;
  readonly traffic: Traffic;
  /** A request of `requestBytes` sent at `sentAt` got its whole reply, and it was right. */
  complete(client: LoadClient, sentAt: number, requestBytes: number): void;
  fail(message: string): void;
  /** Requests whose replies will never come (`lostBytes`) or came wrong (`wrongBytes`). */
  lose(damage: Damage): void;
  /** Requests left flight, answered or not: a drain waiting on them may be over. */
  checkDrained(): void;
}

/** Request frame bytes a failure cost: never answered, or answered wrongly. */
export interface Damage {
  readonly lostBytes?: number;
  readonly wrongBytes?: number;
}

/** A request still owed a reply: when it was sent and its frame's size. */
export interface Unanswered {
  readonly sentAt: number;
  readonly bytes: number;
}

/** One of a run's connections (or connect-request-close loops), as the run sees it. */
export interface LoadClient {
  /** Resolves once the client tried to connect. */
  start(): Promise<void>;
  /** Requests sent and not answered. */
  readonly inFlight: number;
  /** The requests still unanswered, oldest first. */
  unanswered(): Unanswered[];
  /** Replies completed inside the measurement window (the run resets and counts it). */
  completedInWindow: number;
  close(): void;
}

/** A long-lived connection sending requests (closed loop with a depth, or on a schedule). */
export class StreamClient implements LoadClient {
  completedInWindow = 0;
  private socket: Socket | undefined;
  private checker: ReplyChecker;
  /** Send time and frame size of each request in flight, oldest first. */
  private sentAt: number[] = [];
  private sentBytes: number[] = [];
  private sentHead = 0;
  private sent = 0;
  private reconnects = 0;
  /** Set once the current connection failed, so one failure is counted once. */
  private broken = false;
  /** Open loop: when the next request is due, and the gap between requests. */
  private nextDue = 0;
  private readonly interval: number;

  constructor(
    private readonly run: LoadClientRun,
    index: number,
    /** This connection's number in the cell, as the workload sees it. */
    private readonly connection: number,
  ) {
    this.checker = run.traffic.checker();
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
      const { socket, ready } = dial(this.run.spec);
      this.socket = socket;
      // A new connection is a new conversation: the workload's sequence starts over with it.
      this.checker = this.run.traffic.checker();
      this.sent = 0;
      this.sentAt = [];
      this.sentBytes = [];
      this.sentHead = 0;
      this.broken = false;
      let settled = false;
      // Started once TCP is up, before any TLS handshake: a server that shakes hands with one
      // client at a time (blocking) leaves the others waiting, which the run counts as starved.
      socket.once('connect', () => {
        settled = true;
        resolve();
      });
      socket.once(ready, () => {
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
        // Closed under us (by the server, a reset or a failure): what was in flight is lost.
        this.run.lose({ lostBytes: this.inFlightBytes() });
        this.socket = undefined;
        // Requests on a failed connection are errors already; they no longer count as in flight.
        this.sentAt = [];
        this.sentBytes = [];
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
      if (!this.send(performance.now())) return;
    }
  }

  /** Sends the next request; false when the workload could not make it (the connection ends). */
  private send(sentAt: number): boolean {
    let request: { frame: Buffer; wire: Buffer };
    try {
      request = this.run.traffic.request(this.sent++, this.connection);
    } catch (error) {
      this.breakWith((error as Error).message);
      this.socket?.destroy();
      return false;
    }
    const { frame, wire } = request;
    this.checker.expect(frame);
    this.sentAt.push(sentAt);
    this.sentBytes.push(frame.length);
    this.socket!.write(wire);
    return true;
  }

  private onData(chunk: Buffer): void {
    const problem = this.checker.consume(chunk, () => {
      const index = this.sentHead++;
      const sentAt = this.sentAt[index]!;
      const bytes = this.sentBytes[index]!;
      if (this.sentHead > 1024 && this.sentHead * 2 > this.sentAt.length) {
        this.sentAt.splice(0, this.sentHead);
        this.sentBytes.splice(0, this.sentHead);
        this.sentHead = 0;
      }
      this.run.complete(this, sentAt, bytes);
    });
    if (problem !== undefined) {
      // The owed reply was wrong; the stream is out of step now, so the requests behind it are
      // lost when the connection closes: start over on a fresh one.
      if (this.inFlight > 0) this.run.lose({ wrongBytes: this.sentBytes[this.sentHead++]! });
      this.breakWith(problem);
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

  unanswered(): Unanswered[] {
    return this.sentAt
      .slice(this.sentHead)
      .map((sentAt, index) => ({ sentAt, bytes: this.sentBytes[this.sentHead + index]! }));
  }

  private inFlightBytes(): number {
    let total = 0;
    for (let index = this.sentHead; index < this.sentBytes.length; index++) {
      total += this.sentBytes[index]!;
    }
    return total;
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }
}

/** Connect, send one request, read its reply, close; again and again (closed loop). */
export class ChurnClient implements LoadClient {
  completedInWindow = 0;
  private socket: Socket | undefined;
  private startedAt = 0;
  private busy = false;
  /** Frame bytes of the request in flight. */
  private busyBytes = 0;
  private consecutiveFailures = 0;
  /** Connections this loop has opened: each one's single request is that `seq`. */
  private seq = 0;

  constructor(
    private readonly run: LoadClientRun,
    /** This loop's number in the cell, as the workload sees it. */
    private readonly connection: number,
  ) {}

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
    let request: { frame: Buffer; wire: Buffer };
    try {
      request = this.run.traffic.request(this.seq++, this.connection);
    } catch (error) {
      // The workload cannot make its requests: this loop stops rather than fail again and again.
      this.busy = false;
      this.run.fail((error as Error).message);
      this.run.checkDrained();
      return;
    }
    const { frame, wire } = request;
    const checker = this.run.traffic.checker();
    checker.expect(frame);
    this.busyBytes = frame.length;
    let sent = false;
    let answered = false;
    let failed = false;
    let wrong = false;
    const { socket, ready } = dial(this.run.spec);
    this.socket = socket;
    socket.once(ready, () => {
      sent = true;
      socket.write(wire);
    });
    socket.on('data', (chunk: Buffer) => {
      if (answered || failed) return;
      const problem = checker.consume(chunk, () => {
        answered = true;
        socket.end();
      });
      if (problem !== undefined) {
        failed = true;
        wrong = true;
        this.run.fail(problem);
        this.run.lose({ wrongBytes: frame.length });
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
        this.run.complete(this, this.startedAt, frame.length);
      } else if (!failed && this.run.open) {
        this.run.fail('server closed the connection before replying');
      }
      if (sent && !answered && !wrong) this.run.lose({ lostBytes: frame.length });
      if (!answered || failed) this.consecutiveFailures++;
      this.run.checkDrained();
      // A server refusing every connection must not turn this loop into a busy spin.
      if (this.consecutiveFailures > 0) setTimeout(() => this.next(), 10);
      else setImmediate(() => this.next());
    });
  }

  unanswered(): Unanswered[] {
    return this.busy ? [{ sentAt: this.startedAt, bytes: this.busyBytes }] : [];
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
