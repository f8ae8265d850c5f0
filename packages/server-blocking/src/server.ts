import type { Socket } from 'node:net';
import {
  type ConnectionFailure,
  type HandlerContext,
  HandlerTimeoutError,
  type Reply,
  type ResolvedServerOptions,
} from '@switchyard/protocol';
import {
  BaseServer,
  connectionFailure,
  openConnection,
  type Service,
} from '@switchyard/server-core';
import { HandlerCall } from './handler-call.js';
import { Turn } from './turn.js';

/**
 * Bytes a waiting client may send ahead of its turn before the server stops reading it (the
 * read that crosses it, up to 64 KiB, is kept whole): Node 20's stream high-water mark, enough
 * for the requests a client sends before it waits for a reply, small enough for many waiters.
 */
export const READ_AHEAD_BYTES = 16 * 1024;

/** The common options with defaults filled in, plus the wait-queue cap. */
export interface ResolvedBlockingOptions extends ResolvedServerOptions {
  /** Clients allowed to wait while one is served; `Infinity` for no cap. */
  readonly maxWaiting: number;
}

/**
 * Serves one client at a time, like the textbook blocking-sockets server: `accept()`, then
 * `recv()` / `sendall()` until the client hangs up, then the next `accept()`. Sockets are
 * accepted paused (the kernel has completed their handshake, as it does for a listen backlog);
 * the first is served, the rest wait in arrival order (see {@link Turn}: one that leaves while
 * waiting is dropped). When the served client has closed and no handler call of its is still
 * running (or the one running is past `handlerTimeoutMs`), the oldest waiting client is served.
 */
export class BlockingServer extends BaseServer {
  declare readonly options: ResolvedBlockingOptions;
  /** Clients waiting, oldest first. A Set keeps insertion order and lets a leaver go in O(1). */
  private readonly line = new Set<Turn>();
  /** The client holding the line: served now, or gone with a handler call still running. */
  private holder: Turn | undefined;
  /** The latest async handler call: it holds the line, even after its client left, until done. */
  private handlerCall: HandlerCall | undefined;

  constructor(
    options: ResolvedBlockingOptions,
    private readonly service: Service,
  ) {
    super({ options, pauseOnConnect: true });
  }

  protected override onShutdown(): Promise<void> {
    return this.service.handler.teardown();
  }

  /** Clients waiting for their turn now (not counting the one served). */
  get waiting(): number {
    return this.line.size;
  }

  protected override refusalReason(): string | undefined {
    if (this.holder && this.line.size >= this.options.maxWaiting) {
      return `maxWaiting (${this.options.maxWaiting}) reached`;
    }
    return undefined;
  }

  protected accept(socket: Socket, connectionId: number): Turn {
    const turn = new Turn({
      socket,
      id: connectionId,
      stats: this.recorder,
      readAheadBytes: Math.min(READ_AHEAD_BYTES, this.options.maxBufferedBytesPerConnection),
      onLeft: this.dropLeaver,
    });
    if (this.holder === undefined) {
      this.serve(turn);
    } else {
      this.line.add(turn);
      turn.wait();
      void turn.closed.then(() => this.line.delete(turn));
    }
    return turn;
  }

  private serve(turn: Turn): void {
    this.holder = turn;
    turn.serve((socket) =>
      openConnection(socket, {
        id: turn.id,
        codec: this.service.codec,
        options: this.options,
        stats: this.recorder,
        budget: this.budget,
        dispatch: this.dispatch,
        onFailure: this.reportFailure,
        // One handler call at a time: an async handler holds the line like a blocking call.
        maxInFlight: 1,
      }),
    );
    void this.passTheLineAfter(turn);
  }

  /**
   * Serves the next client once `turn` has closed and its last handler call is done: settled,
   * or past `handlerTimeoutMs`, so that a handler that never settles holds the line no longer
   * than its deadline, whether or not its client is still there.
   */
  private async passTheLineAfter(turn: Turn): Promise<void> {
    await turn.closed;
    const call = this.handlerCall;
    if (call !== undefined) {
      // Running when its client left: no connection is left to fail it at the deadline.
      const unreported = call.state === 'running';
      if ((await call.done) === 'overdue' && unreported) this.reportOverdue(turn);
      this.handlerCall = undefined;
    }
    this.holder = undefined;
    // Closing: waiting clients were closed unserved (see Turn.closeGracefully).
    if (this.isClosing) return;
    for (const next of this.line) {
      this.line.delete(next);
      // Destroyed but not yet told (its `close` is still to come): it has left, skip it.
      if (next.state !== 'waiting' || next.socket.destroyed) continue;
      this.serve(next);
      return;
    }
  }

  private reportOverdue(turn: Turn): void {
    const error = new HandlerTimeoutError(this.options.handlerTimeoutMs);
    this.recorder.recordError(error.code);
    this.reportFailure(connectionFailure(turn.id, turn.peer, error));
  }

  /** A client that closed or reset while waiting: out of the line, counted and reported. */
  private readonly dropLeaver = (turn: Turn, failure: ConnectionFailure): void => {
    this.line.delete(turn);
    this.recorder.recordError(failure.error.code);
    this.reportFailure(failure);
  };

  private readonly dispatch = (
    request: Buffer,
    context: HandlerContext,
  ): Reply | Promise<Reply> => {
    const result = this.service.handler.handle(request, context);
    if (!(result instanceof Uint8Array)) {
      this.handlerCall = new HandlerCall(result, this.options.handlerTimeoutMs);
    }
    return result;
  };
}
