import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Codec,
  DEFAULT_MAX_FRAME_BYTES,
  ErrorCode,
  encodeProxyHeader,
  isSwitchyardError,
  type ProxyProtocol,
  type ResolvedServerOptions,
  type RunningServer,
  resolveServerOptions,
  type ServerAddress,
  type ServerOptions,
  type ServerStats,
  type StrategyCapabilities,
  serverOptionKeys,
} from '@switchyard/protocol';
import { externalAddress } from './address.js';
import { Client, type ConnectOptions } from './client.js';
import { Conditions, type Description, type WaitOptions } from './conditions.js';
import { converse, ECHO, type ServiceOracle } from './oracle.js';
import { CaseSkipped } from './outcome.js';
import type { PreparedTarget } from './prepare.js';
import type { ClientTls } from './tls.js';

/** How long stats may lag behind what a client saw (errors are counted on socket events). */
export const STATS_SETTLE_MS = 5_000;

/** How long the runner waits for a server's `destroy()` during cleanup. */
const DESTROY_LIMIT_MS = 5_000;

/** The server a case talks to: started for this case, or the external one. */
export interface ServerUnderTest {
  /** Where it listens: `host:port`, or a Unix socket's path. */
  readonly address: ServerAddress;
  /** Present for strategy targets only. */
  readonly running: RunningServer | undefined;
  /** The options it runs with (strategy targets), or what is assumed (external). */
  readonly options: ResolvedServerOptions;
  /** The codec it speaks. */
  readonly codec: Codec;
  /**
   * What its replies are checked by: the target's oracle when it runs the service's handler,
   * echo when the case chose a handler of its own.
   */
  readonly oracle: ServiceOracle;
  /** How clients speak TLS to it; none: plaintext. */
  readonly tls: ClientTls | undefined;
}

/** Options a case starts its server with: server options, a codec to exercise, strategy keys. */
export type CaseServerOptions = Omit<ServerOptions, 'codec'> & {
  /** One of the case's {@link CaseContext.codecs}; default {@link CaseContext.codec}. */
  codec?: Codec;
} & Record<string, unknown>;

/** What a case body gets: its codecs, its target's capabilities, and tracked resources. */
export interface CaseContext {
  /** The codecs to exercise, in order; `codec` is the first. */
  readonly codecs: readonly Codec[];
  readonly codec: Codec;
  readonly capabilities: StrategyCapabilities;
  /** True for strategy targets: options can be chosen and stats read. */
  readonly controlled: boolean;
  /** What the service's replies are checked by (the servers `server()` starts without a handler). */
  readonly oracle: ServiceOracle;
  readonly signal: AbortSignal;
  /** A fresh server (strategy) with these options on top of the target's, or the external one. */
  server(options?: CaseServerOptions): Promise<ServerUnderTest>;
  /**
   * A server running the built-in echo handler, for a case that measures the strategy with
   * echoes (limits, flow control): the service itself when it is checked as echo, else the
   * strategy with `handler: 'echo'`. Skips, saying `why`, on an external target that is not.
   */
  echoServer(why: string, options?: CaseServerOptions): Promise<ServerUnderTest>;
  /** Skips the case, saying `why`, unless the service is checked as echo. */
  requireEcho(why: string): void;
  /** A client connected to `server`, destroyed when the case ends. */
  connect(server: ServerUnderTest, options?: ConnectOptions): Promise<Client>;
  /** Waits for a condition no socket event announces (stats, shared memory), polling briefly. */
  until(check: () => boolean, what: Description, options?: WaitOptions): Promise<void>;
  /** Waits until the server's stats satisfy `check`; fails with the stats it last saw. */
  untilStats(
    server: ServerUnderTest,
    check: (stats: ServerStats) => boolean,
    what: string,
  ): Promise<ServerStats>;
  /** Runs `cleanup` when the case ends, pass or fail. */
  defer(cleanup: () => unknown): void;
  skip(reason: string): never;
}

/** One run of one case against one target: owns and finally releases everything it opened. */
export class CaseRun implements CaseContext {
  readonly codec: Codec;
  readonly capabilities: StrategyCapabilities;
  readonly controlled: boolean;
  readonly conditions: Conditions;
  private readonly controller = new AbortController();
  private readonly clients = new Set<Client>();
  private readonly servers: RunningServer[] = [];
  private readonly cleanups: (() => unknown)[] = [];
  /** Where the Unix sockets of a `unixSocket` target's servers are, once one is made. */
  private socketFolder: string | undefined;
  /** Connections made so far: the next one's number for the oracle. */
  private connections = 0;

  constructor(
    private readonly prepared: PreparedTarget,
    readonly codecs: readonly Codec[],
  ) {
    const { target } = prepared;
    this.codec = codecs[0]!;
    this.controlled = target.kind === 'strategy';
    this.capabilities =
      target.kind === 'strategy' ? target.strategy.capabilities : target.capabilities;
    this.conditions = new Conditions(this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get oracle(): ServiceOracle {
    return this.prepared.oracle;
  }

  echoServer(why: string, options: CaseServerOptions = {}): Promise<ServerUnderTest> {
    if (this.oracle.echo) return this.server(options);
    if (!this.controlled) this.requireEcho(why);
    return this.server({ ...options, handler: 'echo', handlerOptions: {} });
  }

  requireEcho(why: string): void {
    if (!this.oracle.echo)
      this.skip(
        `needs an echo handler: ${why}; this target's replies are checked by ${this.oracle.label}`,
      );
  }

  async server({
    codec = this.codec,
    ...options
  }: CaseServerOptions = {}): Promise<ServerUnderTest> {
    const { target, service } = this.prepared;
    if (target.kind === 'external') {
      return {
        address: externalAddress(target),
        running: undefined,
        options: resolveServerOptions({
          codec: this.prepared.reference(codec),
          maxFrameBytes: target.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
          ...(target.proxyProtocol && { proxyProtocol: target.proxyProtocol }),
        }),
        codec,
        oracle: this.oracle,
        tls: this.prepared.clientTls,
      };
    }
    // A case's own handler is a test handler that echoes; without one the server is the service.
    const own = options.handler !== undefined;
    if (target.unixSocket && options.host !== undefined)
      this.skip(`needs a TCP server on ${options.host}; this target listens on Unix sockets`);
    const merged: ServerOptions & Record<string, unknown> = {
      ...target.options,
      ...(!own && service),
      ...(this.prepared.serverTls && { tls: this.prepared.serverTls }),
      ...options,
      codec: this.prepared.reference(codec),
      ...(target.unixSocket
        ? { path: this.socketPath() }
        : { host: options.host ?? target.options?.host ?? '127.0.0.1', port: 0 }),
    };
    const running = await target.strategy.listen(merged).catch((error: unknown) => {
      // A mode that cannot serve a Unix socket (the pool's handoff) says so with this code.
      if (target.unixSocket && isSwitchyardError(error, ErrorCode.HANDOFF_UNSUPPORTED))
        this.skip(`this strategy does not listen on a Unix socket: ${error.message}`);
      throw error;
    });
    this.servers.push(running);
    return {
      address: running.address,
      running,
      // The strategy checked its own keys; what the cases read are the common ones.
      options: resolveServerOptions(commonOptions(merged)),
      codec,
      oracle: own ? ECHO : this.oracle,
      tls: this.prepared.clientTls,
    };
  }

  async connect(server: ServerUnderTest, options?: ConnectOptions): Promise<Client> {
    const connection = this.connections++;
    const tls = options?.plaintext ? undefined : server.tls;
    const given = options?.proxyHeader;
    const accepted = server.options.proxyProtocol;
    let header: readonly Uint8Array[] = [];
    const writeFirst = (tcp: Socket) => (header = headerPieces(given, tcp, accepted));
    // To a TLS server the header goes before the handshake, on the TCP connection.
    const beforeHandshake = tls && sendsHeader(given, accepted) ? writeFirst : undefined;
    const client = await Client.connect(
      server.address,
      this.conditions,
      options,
      tls,
      beforeHandshake,
    );
    this.clients.add(client);
    if (!beforeHandshake) for (const piece of writeFirst(client.socket)) client.write(piece);
    client.proxyHeaderBytes = header.reduce((sum, piece) => sum + piece.length, 0);
    // Replies may be larger than the requests: decode them with at least the default limit.
    const limit = Math.max(server.options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
    converse(client, server.codec, server.oracle, connection, limit);
    return client;
  }

  until(check: () => boolean, what: Description, options?: WaitOptions): Promise<void> {
    return this.conditions.until(check, what, { pollMs: 2, ...options });
  }

  async untilStats(
    server: ServerUnderTest,
    check: (stats: ServerStats) => boolean,
    what: string,
  ): Promise<ServerStats> {
    const running = server.running;
    if (!running) throw new Error('untilStats needs a strategy target');
    let last = running.stats();
    await this.until(
      () => check((last = running.stats())),
      () => `server stats: ${what}; last seen ${formatStats(last)}`,
      { timeoutMs: STATS_SETTLE_MS },
    );
    return last;
  }

  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  skip(reason: string): never {
    throw new CaseSkipped(reason);
  }

  /** A fresh Unix socket path, in a folder of this run's own (removed by {@link cleanup}). */
  private socketPath(): string {
    this.socketFolder ??= mkdtempSync(join(tmpdir(), 'switchyard-conformance-'));
    return join(this.socketFolder, `${this.servers.length}.sock`);
  }

  /** Rejects every pending wait: the case ran out of time. */
  abort(): void {
    this.controller.abort();
  }

  /** Destroys every client and server this run opened, whatever state the case left them in. */
  async cleanup(): Promise<void> {
    this.controller.abort();
    for (const client of this.clients) client.destroy();
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Cleanup must go on; the case already has its result.
      }
    }
    await Promise.all(this.servers.map((server) => destroyWithin(server, DESTROY_LIMIT_MS)));
    if (this.socketFolder) rmSync(this.socketFolder, { recursive: true, force: true });
  }
}

/** Whether a connection writes a PROXY header first (see `ConnectOptions.proxyHeader`). */
function sendsHeader(given: ConnectOptions['proxyHeader'], accepted: ProxyProtocol): boolean {
  return given !== false && (given !== undefined || accepted !== 'off');
}

/** What a connection writes first, one write per piece: its own header by default, or `given`. */
function headerPieces(
  given: ConnectOptions['proxyHeader'],
  tcp: Socket,
  accepted: ProxyProtocol,
): readonly Uint8Array[] {
  if (given === false || !sendsHeader(given, accepted)) return [];
  if (given === undefined) return [ownProxyHeader(tcp, accepted)];
  return given instanceof Uint8Array ? [given] : given;
}

/**
 * The header a balancer would send for the connection `tcp` to a server taking `accepted` (not
 * `off`): the client's own endpoints, as the server sees them (v2 where it takes v2, else v1).
 */
function ownProxyHeader(tcp: Socket, accepted: ProxyProtocol): Buffer {
  const { localAddress = '', localPort = 0, remoteAddress = '', remotePort = 0 } = tcp;
  // A Unix socket client has no address to name: the header names none (v1 UNKNOWN, v2 UNSPEC).
  if (localAddress === '') return encodeProxyHeader(accepted === 'v1' ? 1 : 2);
  return encodeProxyHeader(accepted === 'v1' ? 1 : 2, {
    source: { address: localAddress, port: localPort },
    destination: { address: remoteAddress, port: remotePort },
  });
}

function commonOptions(options: ServerOptions & Record<string, unknown>): ServerOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([key]) => serverOptionKeys.includes(key)),
  ) as ServerOptions;
}

async function destroyWithin(server: RunningServer, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  try {
    await Promise.race([server.destroy().catch(() => {}), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** The stats fields a failure message needs, on one line. */
export function formatStats(stats: ServerStats): string {
  const errors = Object.entries(stats.errors)
    .map(([code, count]) => `${code.replace('SWITCHYARD_ERR_', '')}=${count}`)
    .join(',');
  return (
    `accepted=${stats.accepted} active=${stats.active} refused=${stats.refused} ` +
    `bytesIn=${stats.bytesIn} bytesOut=${stats.bytesOut} framesIn=${stats.framesIn} ` +
    `framesOut=${stats.framesOut} bufferedBytes=${stats.bufferedBytes} ` +
    `peakConnectionBufferedBytes=${stats.peakConnectionBufferedBytes} errors={${errors}} ` +
    `handlerTime.count=${stats.handlerTime?.count}`
  );
}
