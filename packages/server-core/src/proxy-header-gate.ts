import {
  type ConnectionPeer,
  ProxyHeaderError,
  type ProxyProtocolVersion,
  type ResolvedServerOptions,
  readProxyHeader,
} from '@switchyard/protocol';

/** What a gate tells its connection, once. */
export interface GateListener {
  /**
   * The header was read. `client`: the client it named (the socket's peer becomes `proxiedBy`);
   * absent for one that names none (v2 `LOCAL`, v1 `UNKNOWN`): the socket's peer stays. `rest`:
   * the bytes after it in the read that completed it, the codec's first bytes (may be empty).
   */
  passed(client: ConnectionPeer | undefined, rest: Buffer): void;
  /** Not a header of an accepted version, malformed, too long, late, or cut short by a FIN. */
  refused(error: ProxyHeaderError): void;
}

const EMPTY = Buffer.alloc(0);

/**
 * The gate a connection reads its PROXY header through; none when `proxyProtocol` is `off`. With
 * `tls` the header precedes the handshake, so it cannot be read from what the connection reads
 * (decrypted bytes): `openConnection` reads it off the raw socket before the connection is made.
 */
export function proxyHeaderGate(
  { proxyProtocol, frameTimeoutMs, tls }: ResolvedServerOptions,
  socketPeer: ConnectionPeer,
  listener: GateListener,
): ProxyHeaderGate | undefined {
  if (proxyProtocol === 'off') return undefined;
  if (tls !== undefined) {
    throw new Error('with tls and proxyProtocol, make the connection with openConnection');
  }
  return new ProxyHeaderGate(proxyProtocol, socketPeer, frameTimeoutMs, listener);
}

/**
 * The PROXY protocol header at the start of a connection (`proxyProtocol`), read before the codec
 * sees a byte: `awaiting` it, holding what arrived so far (at most a header's limit, 4 KiB, not
 * counted against the connection's cap), then `passed` or `refused`, for good. The header must be
 * complete within `frameTimeoutMs` of the connection's start, as a frame must be once started:
 * a balancer sends it at once, so a connection that sends nothing is as late as one that stops
 * halfway. The parsing is {@link readProxyHeader}'s, given every byte held.
 */
export class ProxyHeaderGate {
  private state: 'awaiting' | 'passed' | 'refused' = 'awaiting';
  private held: Buffer = EMPTY;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly accept: ProxyProtocolVersion,
    /** The socket's own peer: the balancer, once a header names a client. */
    private readonly socketPeer: ConnectionPeer,
    timeoutMs: number,
    private readonly listener: GateListener,
  ) {
    if (timeoutMs <= 0) return;
    this.timer = setTimeout(() => {
      if (this.state !== 'awaiting') return;
      this.state = 'refused';
      listener.refused(
        new ProxyHeaderError(
          `no complete PROXY protocol header within ${timeoutMs} ms (frameTimeoutMs); ${this.held.length} bytes of one received`,
        ),
      );
    }, timeoutMs);
    // An open socket keeps the process alive, a deadline alone does not.
    this.timer.unref();
  }

  /** The next read of a connection still `awaiting` its header. */
  read(chunk: Buffer): void {
    const bytes = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const read = readProxyHeader(bytes, this.accept);
    if (read.state === 'incomplete') {
      this.held = bytes;
      return;
    }
    this.stop();
    this.held = EMPTY;
    if (read.state === 'invalid') {
      this.state = 'refused';
      this.listener.refused(new ProxyHeaderError(`PROXY protocol header refused: ${read.reason}`));
      return;
    }
    this.state = 'passed';
    const { source } = read.header;
    const { remoteAddress, remotePort } = this.socketPeer;
    const client = source && {
      remoteAddress: source.address,
      remotePort: source.port,
      proxiedBy: { address: remoteAddress, port: remotePort },
    };
    this.listener.passed(client, read.rest);
  }

  /**
   * The client ended its side while the gate was `awaiting`: refused (true) when part of a header
   * had arrived. A connection that closes without a byte claimed nothing (a port probe): false.
   */
  ended(): boolean {
    if (this.state !== 'awaiting') return false;
    this.stop();
    if (this.held.length === 0) return false;
    this.state = 'refused';
    this.listener.refused(
      new ProxyHeaderError(
        `the connection ended after ${this.held.length} bytes of a PROXY protocol header`,
      ),
    );
    return true;
  }

  /** The connection stopped reading or closed: the header can no longer be late. */
  stop(): void {
    clearTimeout(this.timer);
  }
}
