import type { ErrorCode } from './error-codes.js';
import type { SwitchyardError } from './errors.js';
import type { ConnectionPeer } from './handler.js';
import type { HandlerTimeHistogram } from './handler-time.js';
import type { ServerAddress } from './server-address.js';
import type { ServerWarning } from './warnings.js';

/** Counters a running server keeps. Totals are since `listen`. */
export interface ServerStats {
  /** Connections accepted and served (or queued to be served). */
  readonly accepted: number;
  /** Connections open now (served or waiting). */
  readonly active: number;
  /** Connections refused by a limit. */
  readonly refused: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly framesIn: number;
  readonly framesOut: number;
  /** Bytes held now across connections: partial frames, requests awaiting replies, unwritten replies. */
  readonly bufferedBytes: number;
  /** The most any single connection has held at once (its cap plus one read, at worst). */
  readonly peakConnectionBufferedBytes: number;
  /** Failures by code: framing errors, handler errors, timeouts, socket errors, refusals. */
  readonly errors: Readonly<Partial<Record<ErrorCode, number>>>;
  /** Every handler call, timed where it ran (in a worker thread, not the round trip to it). */
  readonly handlerTime: HandlerTimeHistogram;
  /**
   * For a server that runs handlers on threads of its own (a worker pool): each thread slot's
   * share, by slot. Absent where handlers run on the thread that serves the connections.
   */
  readonly workers?: readonly WorkerStats[];
}

/**
 * One thread slot of a server that runs handlers on threads of its own. A thread that exits is
 * replaced in its slot, and the slot's figures go on from where they were.
 */
export interface WorkerStats {
  /** The slot, from 0. */
  readonly index: number;
  /** The handler calls run in this slot, by every thread that held it (`count` is its requests). */
  readonly handlerTime: HandlerTimeHistogram;
  /** Threads in this slot that exited while the server ran (crashed, exited, or were stopped). */
  readonly exits: number;
}

/**
 * A failure that ended one connection (framing, handler, idle timeout, socket), as the server
 * reports it on `failure`: the client as the handler sees it (named by a PROXY header, once one
 * was read), and the error, which keeps its message and cause from whichever thread it came.
 */
export interface ConnectionFailure extends ConnectionPeer {
  readonly connectionId: number;
  readonly error: SwitchyardError;
}

/** Events of a {@link RunningServer}. */
export interface ServerEvents {
  failure: [failure: ConnectionFailure];
  warning: [warning: ServerWarning];
}

export interface CloseOptions {
  /** After this long, connections still open are destroyed and close rejects with `SWITCHYARD_ERR_CLOSE_TIMEOUT`. Default 10 s. */
  timeoutMs?: number;
}

/** A listening server. `close` and `destroy` are idempotent and may be called in any order. */
export interface RunningServer {
  readonly address: ServerAddress;
  stats(): ServerStats;
  /** Stops accepting, delivers every in-flight reply, then closes each connection and the listener. */
  close(options?: CloseOptions): Promise<void>;
  /** Aborts now: destroys every connection and the listener. */
  destroy(): Promise<void>;
  /**
   * `failure`: every connection failure, as it happens (counted in `stats().errors` as well).
   * `warning`: what is not one connection's failure (a worker thread that exited, a connection
   * paused for taking more than its share). With no listener nothing is thrown.
   */
  on<E extends keyof ServerEvents>(event: E, listener: (...args: ServerEvents[E]) => void): this;
  off<E extends keyof ServerEvents>(event: E, listener: (...args: ServerEvents[E]) => void): this;
}
