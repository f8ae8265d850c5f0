import type { Socket } from 'node:net';
import type { HandlerContext, Reply, ResolvedServerOptions } from '@switchyard/protocol';
import { BaseServer, Connection, type Service } from '@switchyard/server-core';
import { Turn } from './turn.js';

/** The common options with defaults filled in, plus the wait-queue cap. */
export interface ResolvedBlockingOptions extends ResolvedServerOptions {
  /** Clients allowed to wait while one is served; `Infinity` for no cap. */
  readonly maxWaiting: number;
}

/**
 * Serves one client at a time, like the textbook blocking-sockets server: `accept()`, then
 * `recv()` / `sendall()` until the client hangs up, then the next `accept()`. Sockets are
 * accepted paused (the kernel has completed their handshake, as it does for a listen backlog);
 * the first is served, the rest wait in arrival order. When the served client has closed and no
 * handler call of its is still running, the oldest waiting client is served.
 */
export class BlockingServer extends BaseServer {
  declare readonly options: ResolvedBlockingOptions;
  /** Clients waiting, oldest first. A Set keeps insertion order and lets a leaver go in O(1). */
  private readonly line = new Set<Turn>();
  /** The client holding the line: served now, or gone with a handler call still running. */
  private holder: Turn | undefined;
  /** Settles when the latest async handler call does: it holds the line even if its client left. */
  private handlerSettled: Promise<unknown> = Promise.resolve();

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
    const turn = new Turn(socket, connectionId, this.recorder);
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
    turn.serve(
      (socket) =>
        new Connection(socket, {
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

  private async passTheLineAfter(turn: Turn): Promise<void> {
    await turn.closed;
    await this.handlerSettled;
    this.holder = undefined;
    // Closing: waiting clients were closed unserved (see Turn.closeGracefully).
    if (this.isClosing) return;
    for (const next of this.line) {
      this.line.delete(next);
      // Destroyed but its `close` not yet emitted: it has left, skip it.
      if (next.socket.destroyed) continue;
      this.serve(next);
      return;
    }
  }

  private readonly dispatch = (
    request: Buffer,
    context: HandlerContext,
  ): Reply | Promise<Reply> => {
    const result = this.service.handler.handle(request, context);
    if (!(result instanceof Uint8Array)) this.handlerSettled = Promise.allSettled([result]);
    return result;
  };
}
