import type { Socket } from 'node:net';
import { ErrorCode } from '@switchyard/protocol';
import type { Connection, StatsRecorder, TrackedConnection } from '@switchyard/server-core';

/**
 * One client's place in line: accepted, then waiting unserved until its turn, then served by a
 * {@link Connection} until it closes.
 *
 * While it waits, the socket is watched but not served. Node has no way to notice a hang-up on
 * a socket it is not reading, so a waiting socket reads ahead by at most one chunk (kept in the
 * socket's own buffer, never decoded or answered). That is enough to see a client that hangs up
 * before sending anything (`end`) or resets (`error`); it then leaves the line instead of being
 * served later. Bytes beyond that chunk stay in the kernel, as they would for a blocking server's
 * clients queued in its listen backlog.
 */
export class Turn implements TrackedConnection {
  readonly closed: Promise<void>;
  private connection: Connection | undefined;

  constructor(
    readonly socket: Socket,
    readonly id: number,
    private readonly stats: StatsRecorder,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  get bufferedBytes(): number {
    return this.connection ? this.connection.bufferedBytes : this.socket.readableLength;
  }

  /** Starts watching the socket for a client that leaves before its turn. */
  wait(): void {
    this.socket.on('end', this.leftWithoutRequest);
    this.socket.on('error', this.failedWhileWaiting);
    // Starts one read: `end` arrives only if nothing was buffered, which is what we want.
    this.socket.read(0);
  }

  /** Its turn: stops watching and hands the socket to a connection, which starts reading. */
  serve(createConnection: (socket: Socket) => Connection): void {
    this.socket.off('end', this.leftWithoutRequest);
    this.socket.off('error', this.failedWhileWaiting);
    this.connection = createConnection(this.socket);
  }

  closeGracefully(): void {
    // A waiting client is owed nothing: none of its requests has been read.
    if (this.connection) this.connection.closeGracefully();
    else this.socket.destroy();
  }

  destroy(): void {
    if (this.connection) this.connection.destroy();
    else this.socket.destroy();
  }

  /** Hung up without sending a byte (a blocking `recv()` would return nothing at once): close. */
  private readonly leftWithoutRequest = (): void => {
    this.socket.destroy();
  };

  /** A reset while waiting; Node has already destroyed the socket. */
  private readonly failedWhileWaiting = (): void => {
    this.stats.recordError(ErrorCode.SOCKET_ERROR);
  };
}
