import type { Socket } from 'node:net';
import { ClientLeftError, type ConnectionFailure, type ConnectionPeer } from '@switchyard/protocol';
import {
  connectionFailure,
  type ServedConnection,
  type StatsRecorder,
  type TrackedConnection,
} from '@switchyard/server-core';
import { HeldBytes } from './held-bytes.js';

/**
 * `waiting` in line; `served` by its {@link Connection}; `left`: the client closed or reset its
 * connection while it waited, and was dropped unserved; `dismissed`: the server closed it while
 * it waited (`close()`, `destroy()`).
 */
export type TurnState = 'waiting' | 'served' | 'left' | 'dismissed';

export interface TurnInit {
  readonly socket: Socket;
  readonly id: number;
  readonly stats: StatsRecorder;
  /** Bytes a waiting client's socket is read ahead before the server stops reading it. */
  readonly readAheadBytes: number;
  /** Told once, after the socket is destroyed, when the client leaves while waiting. */
  readonly onLeft: (turn: Turn, failure: ConnectionFailure) => void;
}

/**
 * One client's place in line: accepted, then waiting unserved until its turn, then served by a
 * {@link Connection} until it closes.
 *
 * A waiting socket keeps reading, into {@link HeldBytes} and never into the decoder, so that
 * the end of its stream is seen: Node reports a FIN (and libuv a reset that follows data, as an
 * end) only once every byte before it has been read. A client that closes or resets while it
 * waits therefore leaves the line at once and frees its file descriptor. Reading stops once
 * `readAheadBytes` are held; the rest stays in the kernel, as it would in a blocking server's
 * listen backlog, and such a client is noticed leaving only at its turn. At its turn the held
 * bytes are put back in front of the socket's stream, so the connection reads every byte in
 * order.
 */
export class Turn implements TrackedConnection {
  readonly socket: Socket;
  readonly id: number;
  /** Kept from the start: a destroyed socket no longer knows its peer. */
  private readonly socketPeer: ConnectionPeer;
  readonly closed: Promise<void>;
  private turnState: TurnState = 'waiting';
  private connection: ServedConnection | undefined;
  private readonly held: HeldBytes;
  private readonly stats: StatsRecorder;
  private readonly onLeft: TurnInit['onLeft'];
  private waitingSince = 0;

  constructor({ socket, id, stats, readAheadBytes, onLeft }: TurnInit) {
    this.socket = socket;
    this.id = id;
    this.stats = stats;
    this.onLeft = onLeft;
    this.held = new HeldBytes(readAheadBytes);
    this.socketPeer = {
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    };
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  get state(): TurnState {
    return this.turnState;
  }

  /** The client: its socket's peer, or, once served, the client its PROXY header named. */
  get peer(): ConnectionPeer {
    return this.connection?.peer ?? this.socketPeer;
  }

  /** Bytes it holds: read ahead while waiting, then whatever its connection holds. */
  get bufferedBytes(): number {
    return this.connection
      ? this.connection.bufferedBytes
      : this.held.length + this.socket.readableLength;
  }

  /** Starts reading ahead, to notice a client that leaves before its turn. */
  wait(): void {
    this.waitingSince = performance.now();
    this.socket.on('data', this.hold).on('end', this.hungUp).on('error', this.failed);
    this.socket.resume();
  }

  /** Its turn: hands the socket, with every byte read ahead, to a connection. */
  serve(createConnection: (socket: Socket) => ServedConnection): void {
    this.socket.off('data', this.hold).off('end', this.hungUp).off('error', this.failed);
    this.socket.pause();
    const held = this.held.take();
    if (held.length > 0) this.socket.unshift(held);
    this.turnState = 'served';
    this.connection = createConnection(this.socket);
  }

  closeGracefully(): void {
    // A waiting client is owed nothing: none of its requests has been read.
    if (this.connection) this.connection.closeGracefully();
    else this.dismiss();
  }

  destroy(): void {
    if (this.connection) this.connection.destroy();
    else this.dismiss();
  }

  private dismiss(): void {
    if (this.turnState === 'waiting') this.turnState = 'dismissed';
    this.held.take();
    this.socket.destroy();
  }

  private readonly hold = (chunk: Buffer): void => {
    this.held.append(chunk);
    this.stats.observeBuffered(this.held.length);
    if (this.held.full) this.socket.pause();
  };

  /** The client's stream ended: a hang-up, or a reset after data (libuv reports it as an end). */
  private readonly hungUp = (): void => {
    this.leave('closed its connection');
  };

  /** A reset (or another socket error); Node has already destroyed the socket. */
  private readonly failed = (error: Error): void => {
    this.leave('lost its connection', error);
  };

  private leave(how: string, cause?: Error): void {
    if (this.turnState !== 'waiting') return;
    this.turnState = 'left';
    const sent = this.held.take().length + this.socket.readableLength;
    this.socket.destroy();
    const waitedMs = Math.round(performance.now() - this.waitingSince);
    const error = new ClientLeftError(
      `${how} while waiting its turn (${waitedMs} ms in line); dropped unserved, ${sent} bytes it sent unread`,
      cause && { cause },
    );
    this.onLeft(this, connectionFailure(this.id, this.peer, error));
  }
}
