import type { Socket } from 'node:net';
import { formatServerAddress, type ServerAddress } from '@switchyard/protocol';
import { type ByteSource, formatBytes } from './bytes.js';
import type { Conditions, WaitOptions } from './conditions.js';
import { CaseFailure, ConnectFailed, WrongReply } from './outcome.js';
import { Pump } from './pump.js';
import { type ClientTls, handshakePending, openTcp, startTls } from './tls.js';
import { ReplyVerifier } from './verifier.js';

export interface ConnectOptions {
  /** Names this client in failure messages. */
  label?: string;
  /** Disable Nagle on the client side too, so only the server can cause a stall. Default true. */
  noDelay?: boolean;
  /** Do not read from the socket until {@link Client.resume} (a slow reader). */
  paused?: boolean;
  timeoutMs?: number;
  /**
   * What to write first, before the case writes anything: by default, a PROXY protocol header
   * naming this client when the server takes them (`proxyProtocol`), and nothing otherwise;
   * `false`: nothing (a case that writes its own header, or none); several pieces: one write
   * each. To a TLS server it goes before the handshake, in the clear, as a balancer sends it.
   */
  proxyHeader?: Uint8Array | readonly Uint8Array[] | false;
  /** Speak plaintext to a server that serves TLS (a case that checks it is refused). */
  plaintext?: boolean;
}

/**
 * A test client: one socket, every event announced to the case's {@link Conditions}, bytes either
 * collected (for small replies) or verified as they arrive (for streams).
 */
export class Client {
  bytesReceived = 0;
  /** Bytes of the PROXY header written for it before the case's own: the server counts them in. */
  proxyHeaderBytes = 0;
  /** The server ended its side (EOF). */
  ended = false;
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  private chunks: Buffer[] = [];
  private collected = 0;
  /** Set while {@link expectStream} verifies arriving bytes instead of collecting them. */
  private verifier: ReplyVerifier | undefined;

  constructor(
    readonly socket: Socket,
    readonly label: string,
    private readonly conditions: Conditions,
    /** The TCP connection under a TLS socket, or `socket` itself. */
    private readonly tcp: Socket = socket,
  ) {
    const notify = () => conditions.notify();
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      if (this.verifier && this.verifier.pending > 0) this.verifier.consume(chunk);
      else {
        this.chunks.push(chunk);
        this.collected += chunk.length;
      }
      notify();
    });
    socket.on('end', () => {
      this.ended = true;
      notify();
    });
    socket.on('error', (error) => {
      this.error = error;
      notify();
    });
    socket.on('close', () => {
      this.closed = true;
      notify();
    });
  }

  /**
   * Opens a connection, over TLS with `tls`; fails the case if it cannot. `beforeHandshake` gives
   * what goes on the TCP connection ahead of the TLS handshake (a PROXY header, which may name
   * this very connection): the TLS socket is made once TCP is up, right after those bytes.
   */
  static async connect(
    address: ServerAddress,
    conditions: Conditions,
    { label = 'client', noDelay = true, paused = false, timeoutMs = 5_000 }: ConnectOptions = {},
    tls?: ClientTls,
    beforeHandshake?: (tcp: Socket) => readonly Uint8Array[],
  ): Promise<Client> {
    const tcp = openTcp(address, noDelay);
    let client: Client | undefined;
    const open = (socket: Socket) => {
      if (paused) socket.pause();
      client = new Client(socket, label, conditions, tcp);
    };
    // Why TCP failed before there was a client to tell (one made at `connect`).
    let failed: string | undefined;
    if (tls === undefined) open(tcp);
    else if (beforeHandshake === undefined) open(startTls(tcp, address, tls));
    else {
      const fail = (error?: NodeJS.ErrnoException) => {
        failed ??= error?.code ?? error?.message ?? 'closed';
        conditions.notify();
      };
      const closed = () => fail();
      tcp.on('error', fail).once('close', closed);
      tcp.once('connect', () => {
        tcp.off('error', fail).off('close', closed);
        for (const bytes of beforeHandshake(tcp)) tcp.write(bytes);
        open(startTls(tcp, address, tls));
      });
    }
    let connected = false;
    tcp.once('connect', () => {
      connected = true;
      conditions.notify();
    });
    await conditions.until(
      () => {
        if (connected) return true;
        const gone =
          client === undefined ? failed : (client.closed || client.error) && client.reason();
        if (gone)
          throw new ConnectFailed(
            `${label}: cannot connect to ${formatServerAddress(address)}: ${gone}`,
          );
        return false;
      },
      `${label}: connecting to ${formatServerAddress(address)}`,
      { timeoutMs },
    );
    return client!;
  }

  /** Why the connection is gone, for messages: `EOF`, `ECONNRESET`, `closed`, or `open`. */
  reason(): string {
    if (this.error) return this.error.code ?? this.error.message;
    if (this.ended) return 'EOF';
    return this.closed ? 'closed' : 'open';
  }

  /** True once the server ended, reset or closed the connection. */
  get gone(): boolean {
    return this.ended || this.closed || this.error !== undefined;
  }

  /** Bytes collected and not yet read. */
  get available(): number {
    return this.collected;
  }

  write(bytes: Uint8Array | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Writes and resolves once the bytes were handed to the kernel (or, before a TLS handshake, queued). */
  flush(bytes: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new CaseFailure(`${this.label}: cannot write, connection ${this.reason()}`));
        return;
      }
      if (handshakePending(this.socket)) return resolve(void this.socket.write(bytes));
      this.socket.write(bytes, (error) =>
        error
          ? reject(new CaseFailure(`${this.label}: write failed: ${error.message}`))
          : resolve(),
      );
    });
  }

  /** Streams `source` with flow control; see {@link Pump}. */
  pump(source: ByteSource): Pump {
    return new Pump(this.socket, source, () => this.conditions.notify());
  }

  /** Half-closes: no more writes, the server may still reply. */
  end(bytes?: Uint8Array | string): void {
    if (bytes === undefined) this.socket.end();
    else this.socket.end(bytes);
  }

  resume(): void {
    this.socket.resume();
  }

  /** Aborts with a TCP RST; closes a Unix socket, which has none. */
  reset(): void {
    if (this.tcp.remotePort === undefined) this.tcp.destroy();
    else this.tcp.resetAndDestroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Every byte collected and not yet read, now; none left collected after. */
  take(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    this.collected = 0;
    return all;
  }

  /** Waits for a condition that this client's socket events decide. */
  wait(check: () => boolean, what: string | (() => string), options?: WaitOptions): Promise<void> {
    return this.conditions.until(check, what, options);
  }

  /** Waits for exactly `length` bytes (however TCP splits them) and returns them. */
  async read(length: number, what: string, options?: WaitOptions): Promise<Buffer> {
    await this.conditions.until(
      () => {
        if (this.collected >= length) return true;
        if (this.gone)
          throw new CaseFailure(
            `${this.label}: ${what}: connection ${this.reason()} after ${this.collected} of ${length} bytes`,
          );
        return false;
      },
      () => `${this.label}: ${what} (${this.collected} of ${length} bytes so far)`,
      options,
    );
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const head = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.collected = rest.length;
    return head;
  }

  /**
   * Reads `expected.length` bytes and fails at the first differing offset, as soon as that byte
   * arrives (a server that drops a byte fails here, not at the time limit).
   */
  async expect(expected: Buffer | string, what: string, options?: WaitOptions): Promise<void> {
    const want = typeof expected === 'string' ? Buffer.from(expected) : expected;
    const verifier = new ReplyVerifier();
    if (want.length > 0) verifier.expect(want);
    await this.conditions.until(
      () => {
        const checked = verifier.verifiedBytes;
        if (this.collected > checked && checked < want.length) {
          const got = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
          this.chunks = [got];
          const mismatch = verifier.consume(got.subarray(checked, want.length));
          if (mismatch) throw new WrongReply(`${this.label}: ${what}: ${mismatch.message}`);
        }
        if (verifier.verifiedBytes >= want.length) return true;
        if (this.gone)
          throw new CaseFailure(
            `${this.label}: ${what}: connection ${this.reason()} after ${this.collected} of ${want.length} bytes`,
          );
        return false;
      },
      () => `${this.label}: ${what} (${this.collected} of ${want.length} bytes so far)`,
      options,
    );
    await this.read(want.length, what);
  }

  /**
   * Verifies the next `expected.length` bytes as they arrive, without keeping them: for streams
   * of many MiB. Fails at the first differing offset, on extra bytes, or on an early close.
   */
  async expectStream(
    expected: ByteSource,
    what: string,
    options: WaitOptions & { length?: () => number } = {},
  ): Promise<void> {
    if (this.collected > 0) throw new Error('expectStream needs no collected bytes pending');
    const { length = () => expected.length, ...waitOptions } = options;
    const verifier = new ReplyVerifier();
    if (expected.length > 0) verifier.expect(expected);
    this.verifier = verifier;
    try {
      await this.conditions.until(
        () => {
          if (verifier.mismatch)
            throw new WrongReply(`${this.label}: ${what}: ${verifier.mismatch.message}`);
          if (verifier.verifiedBytes >= length()) return true;
          if (this.gone)
            throw new CaseFailure(
              `${this.label}: ${what}: connection ${this.reason()} after ` +
                `${verifier.verifiedBytes} of ${expected.length} bytes`,
            );
          return false;
        },
        () =>
          `${this.label}: ${what} (${formatBytes(verifier.verifiedBytes)} of ${formatBytes(length())} so far)`,
        waitOptions,
      );
    } finally {
      if (this.verifier === verifier) this.verifier = undefined;
    }
  }

  /** Waits until the server ends its side (EOF); fails on a reset or close without one. */
  async expectEnd(what: string, options?: WaitOptions): Promise<void> {
    await this.conditions.until(
      () => {
        if (this.ended) return true;
        if (this.closed || this.error)
          throw new CaseFailure(
            `${this.label}: ${what}: connection ${this.reason()} without an EOF`,
          );
        return false;
      },
      () => `${this.label}: ${what} (no EOF; ${this.bytesReceived} bytes received in all)`,
      options,
    );
  }

  /** Waits until the server ends, resets or closes the connection, whichever way. */
  async expectGone(what: string, options?: WaitOptions): Promise<void> {
    await this.conditions.until(
      () => this.gone,
      () => `${this.label}: ${what} (still open; ${this.bytesReceived} bytes received)`,
      options,
    );
  }
}
