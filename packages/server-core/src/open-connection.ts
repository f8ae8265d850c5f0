import type { Socket } from 'node:net';
import {
  type ConnectionPeer,
  IdleTimeoutError,
  type ProxyProtocolVersion,
  type SwitchyardError,
} from '@switchyard/protocol';
import { Connection } from './connection.js';
import { type ConnectionOptions, connectionFailure, socketPeer } from './connection-options.js';
import { endAndLinger } from './lingering-close.js';
import { ProxyHeaderGate } from './proxy-header-gate.js';
import { readAtMostOneChunkWhilePaused } from './read-ahead.js';
import { socketFailure } from './secure-transport.js';
import type { TrackedConnection } from './server.js';

/** What a strategy holds for a connection from its accept on: what the lifecycle tracks, and whom. */
export interface ServedConnection extends TrackedConnection {
  /** The client, as its handler sees it. */
  readonly peer: ConnectionPeer;
}

/** Makes the connection that serves `socket`: `new Connection`, or a strategy's subclass. */
export type MakeConnection = (socket: Socket, init: ConnectionOptions) => ServedConnection;

const newConnection: MakeConnection = (socket, init) => new Connection(socket, init);

/**
 * Serves an accepted socket: with `make`'s connection at once, or, with both `tls` and
 * `proxyProtocol` on, through a {@link HeaderFirst} that makes it once the PROXY header has been
 * read off the raw socket. Every strategy makes its connections here, so each gets that order
 * wherever its connections live (a handoff worker reads the header and shakes hands itself).
 */
export function openConnection(
  socket: Socket,
  init: ConnectionOptions,
  make: MakeConnection = newConnection,
): ServedConnection {
  const { tls, proxyProtocol } = init.options;
  if (tls === undefined || proxyProtocol === 'off') return make(socket, init);
  return new HeaderFirst(socket, init, proxyProtocol, make);
}

/**
 * A connection whose PROXY protocol header comes before its TLS handshake, as a balancer that
 * passes TLS through sends it (HAProxy's `send-proxy-v2` to a backend that terminates TLS): the
 * header is read off the raw socket by a {@link ProxyHeaderGate}, within `frameTimeoutMs` of the
 * connection's start; then the socket goes to the connection, the bytes after the header put
 * back in front of its stream, so that its TLS layer reads the ClientHello first. Until then
 * nothing is owed: closing closes the socket, and a failure (a refused header, an error) is
 * counted and reported with the socket's own peer, as the connection's would be.
 */
export class HeaderFirst implements ServedConnection {
  readonly closed: Promise<void>;
  /** Made once the header is read; until then this holds the raw socket. */
  private connection: ServedConnection | undefined;
  private readonly gate: ProxyHeaderGate;
  private readonly socketPeer: ConnectionPeer;
  private settle!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly init: ConnectionOptions,
    accept: ProxyProtocolVersion,
    private readonly make: MakeConnection,
  ) {
    this.socketPeer = socketPeer(socket);
    const { frameTimeoutMs, idleTimeoutMs } = init.options;
    this.gate = new ProxyHeaderGate(accept, this.socketPeer, frameTimeoutMs, {
      passed: (client, rest) => this.passed(client, rest),
      refused: (error) => this.fail(error),
    });
    this.closed = new Promise((resolve) => {
      this.settle = resolve;
    });
    socket.once('close', this.onClose);
    readAtMostOneChunkWhilePaused(socket);
    if (idleTimeoutMs > 0) socket.setTimeout(idleTimeoutMs, this.onIdle);
    socket.on('data', this.onData).on('end', this.onEnd).on('error', this.onError);
    // Accepted with `pauseOnConnect`, or paused by a strategy: reading starts now.
    socket.resume();
  }

  get peer(): ConnectionPeer {
    return this.connection?.peer ?? this.socketPeer;
  }

  /** Nothing before the header is read: what the gate holds (at most 4 KiB) is not counted. */
  get bufferedBytes(): number {
    return this.connection?.bufferedBytes ?? 0;
  }

  closeGracefully(): void {
    if (this.connection) {
      this.connection.closeGracefully();
      return;
    }
    // Owed nothing: end, and drop what the client still sends until it ends too.
    this.gate.stop();
    this.socket.pause();
    endAndLinger(this.socket, this.stopReading);
  }

  destroy(): void {
    if (this.connection) this.connection.destroy();
    else this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.init.stats.bytesIn += chunk.length;
    this.gate.read(chunk);
  };

  /** A FIN inside the header is refused; one before any byte is a probe, closed uncounted. */
  private readonly onEnd = (): void => {
    if (!this.gate.ended()) this.socket.end();
  };

  /** Node has already destroyed the socket (a reset): reported only. */
  private readonly onError = (error: Error): void => {
    this.report(socketFailure(this.socket, error));
  };

  private readonly onIdle = (): void => {
    this.fail(new IdleTimeoutError(this.init.options.idleTimeoutMs));
  };

  private readonly onClose = (): void => {
    this.gate.stop();
    if (this.connection === undefined) this.settle();
  };

  private readonly stopReading = (): void => {
    this.socket.off('data', this.onData).off('end', this.onEnd);
  };

  /**
   * The header was read: the socket, the bytes after it put back first, goes to the connection,
   * which counts what it decrypts (so those bytes, ciphertext, are not counted here).
   */
  private passed(client: ConnectionPeer | undefined, rest: Buffer): void {
    const { socket, init } = this;
    this.stopReading();
    // `setTimeout(0, listener)` clears the timer and removes the listener.
    socket.off('error', this.onError).setTimeout(0, this.onIdle);
    socket.pause();
    init.stats.bytesIn -= rest.length;
    if (rest.length > 0) socket.unshift(rest);
    if (client) init.onProxied?.(client);
    this.connection = this.make(socket, { ...init, proxyHeader: { client } });
    void this.connection.closed.then(this.settle);
  }

  private fail(error: SwitchyardError): void {
    if (this.socket.destroyed) return;
    this.report(error);
    this.socket.destroy();
  }

  private report(error: SwitchyardError): void {
    this.init.stats.recordError(error.code);
    this.init.onFailure?.(connectionFailure(this.init.id, this.socketPeer, error));
  }
}
