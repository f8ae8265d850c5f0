import { connect, type Socket } from 'node:net';
import type { AttackFigures } from './attack.js';

/** Largest single write: big payloads go out in slices, as the socket drains. */
const SLICE_BYTES = 64 * 1024;

/**
 * The connections of one attack: opened on the target, tallied, and all destroyed at `stop`.
 * Every attack goes through it, so each counts the same way and none can outlive its phase.
 */
export class AttackConnections {
  private readonly sockets = new Set<Socket>();
  /** Sockets this attack ended itself: their close is not the server's doing. */
  private readonly ours = new WeakSet<Socket>();
  private stopped = false;
  private opened = 0;
  private sent = 0;
  private endedByServer = 0;
  private failedToConnect = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** True once the attack is over: nothing more may be opened or sent. */
  get done(): boolean {
    return this.stopped;
  }

  /** Connections open now. */
  get open(): number {
    return this.sockets.size;
  }

  /**
   * Opens a connection: `onConnect` once it is up, `onClose` once it is gone (whoever ended it).
   * Returns undefined once the attack is over.
   */
  connect(
    onConnect: (socket: Socket) => void,
    onClose?: (socket: Socket) => void,
  ): Socket | undefined {
    if (this.stopped) return undefined;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.opened++;
    this.sockets.add(socket);
    let connected = false;
    // A hostile client expects to be refused and reset: what matters is counted on close.
    socket.on('error', () => {});
    socket.once('connect', () => {
      connected = true;
      if (!this.stopped) onConnect(socket);
    });
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (!this.stopped && !this.ours.has(socket)) {
        if (connected) this.endedByServer++;
        else this.failedToConnect++;
      }
      if (!this.stopped) onClose?.(socket);
    });
    return socket;
  }

  /** Ends a connection from this side, at once or with a TCP RST: not the server's doing. */
  drop(socket: Socket, how: 'destroy' | 'reset'): void {
    this.ours.add(socket);
    if (how === 'reset') socket.resetAndDestroy();
    else socket.destroy();
  }

  /** Writes `bytes`, counting them once they reach the kernel; `then` after (not on error). */
  write(socket: Socket, bytes: Buffer, then?: () => void): boolean {
    return socket.write(bytes, (error) => {
      if (error) return;
      this.sent += bytes.length;
      if (!this.stopped) then?.();
    });
  }

  /**
   * Writes `bytes` in slices as the socket drains (never more than one slice queued), so a large
   * payload costs the attacker no copy and stops as soon as the attack does.
   */
  stream(socket: Socket, bytes: Buffer, then?: () => void): void {
    let offset = 0;
    const next = () => {
      if (this.stopped || socket.destroyed) return;
      if (offset >= bytes.length) {
        then?.();
        return;
      }
      const slice = bytes.subarray(offset, offset + SLICE_BYTES);
      offset += slice.length;
      if (this.write(socket, slice)) setImmediate(next);
      else socket.once('drain', next);
    };
    next();
  }

  /** Ends the attack: destroys every connection; what it did. */
  stop(): AttackFigures {
    this.stopped = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return this.figures();
  }

  /** What the attack has done so far. */
  figures(): AttackFigures {
    return {
      connections: this.opened,
      bytesSent: this.sent,
      endedByServer: this.endedByServer,
      failedToConnect: this.failedToConnect,
    };
  }
}
