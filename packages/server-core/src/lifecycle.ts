import type { Socket } from 'node:net';
import {
  type ConnectionEvent,
  type ConnectionState,
  connectionTransition,
} from './connection-state.js';
import { endAndLinger } from './lingering-close.js';

/** What a {@link Lifecycle}'s effects tell its connection. */
export interface LifecycleHost {
  /** Runs with every effect: reading has stopped, or stops, for good. */
  stoppedReading(): void;
  /** Removes the listeners that serve requests, when a lingering close starts. */
  stopServing(): void;
}

/**
 * A connection's {@link ConnectionState} and its socket: every event goes through
 * {@link connectionTransition}, and what the transition does is done to the socket here.
 */
export class Lifecycle {
  /** Read through {@link state}, which catches up with a socket Node destroyed on its own. */
  private current: ConnectionState = 'open';

  constructor(
    private readonly socket: Socket,
    private readonly host: LifecycleHost,
  ) {}

  /**
   * Where the connection is in its life. Node destroys a socket on its own (a reset) and says
   * so only later (`error`, `close`), so reading the state catches up with `socket.destroyed`.
   */
  get state(): ConnectionState {
    if (this.current !== 'closed' && this.socket.destroyed) {
      this.current = connectionTransition(this.current, 'destroyed').state;
    }
    return this.current;
  }

  /** Every change of state: the transition, then what it does to the socket. */
  apply(event: ConnectionEvent): void {
    // `idle` comes after every read and reply; in `open`, where a connection spends its life, it
    // changes nothing, and the table lookup costs more than the rest of a request's bookkeeping.
    // (A socket destroyed meanwhile is caught up with by the next read of `state`.)
    if (event === 'idle' && this.current === 'open') return;
    const { state, effect } = connectionTransition(this.state, event);
    this.current = state;
    if (effect === 'none') return;
    this.host.stoppedReading();
    switch (effect) {
      case 'stop-reading':
        this.socket.pause();
        break;
      case 'end':
        // Half-close: the client may still read; end() sends FIN after the queued replies.
        this.socket.end();
        break;
      case 'linger':
        // Nothing more is served; release the socket once it is flushed.
        this.socket.pause();
        endAndLinger(this.socket, () => this.host.stopServing());
        break;
    }
  }
}
