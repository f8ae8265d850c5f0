import { getHeapStatistics } from 'node:v8';
import { DEFAULT_MAX_FRAME_BYTES } from './codec.js';
import type { CodecReference } from './codec-loader.js';
import { InvalidOptionError } from './errors.js';
import type { HandlerOptions, HandlerReference } from './handler.js';
import { assertKnownKeys } from './option-keys.js';
import type { ProxyProtocol } from './proxy-header.js';
import type { RunningServer } from './running-server.js';
import {
  codecReference,
  handlerReference,
  nonEmptyString,
  nonNegativeInteger,
  positiveInteger,
  proxyProtocol,
} from './server-option-values.js';
import type { StrategyImport, StrategyModes, StrategyOption } from './strategy-options.js';
import { type TlsOptions, tlsOptions } from './tls-options.js';

/** How a strategy schedules connections and handler calls. The conformance suite checks these. */
export interface StrategyCapabilities {
  /** `concurrent`: every accepted connection is served at once. `one-at-a-time`: the others wait. */
  readonly connections: 'concurrent' | 'one-at-a-time';
  /** True when two handler calls can run at the same instant (on different threads). */
  readonly parallelHandlers: boolean;
  /**
   * `this-process` (absent means it): the server runs in the process that called `listen`.
   * `child-processes`: it runs in other processes, so handler options reach the handler
   * serialized (no `SharedArrayBuffer`) and per-server limits (`maxConnections`, the memory
   * budget) hold in each process, not across them.
   */
  readonly runsIn?: 'this-process' | 'child-processes';
}

/** Options every strategy accepts. A strategy lists the others it takes in `Strategy.options`. */
export interface ServerOptions {
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port to bind; 0 picks a free one. Default 0. */
  port?: number;
  /**
   * Listen on a Unix domain socket at this path instead of `host:port` (Linux, macOS). A socket
   * file left by a server that is gone is replaced; one a live server answers on is refused.
   */
  path?: string;
  /**
   * Wire format: `raw`, `lines`, `length-prefixed`, a module specifier whose default export is a
   * codec, or a codec object (where the codec runs on the thread that was given it). Default `raw`.
   */
  codec?: CodecReference;
  /**
   * The handler: `echo`, `burn`, a path or a module specifier whose default export is a handler,
   * or (strategies without a thread boundary) a handler function or object. Default `echo`.
   */
  handler?: HandlerReference;
  /** Handed to the handler as `context.options`. Structured-cloneable. */
  handlerOptions?: HandlerOptions;
  /**
   * Connections served (or waiting) at once; more are refused and counted. Default
   * {@link DEFAULT_MAX_CONNECTIONS} (10 000); `Infinity` for no limit.
   */
  maxConnections?: number;
  /** Close a connection with no traffic for this long. Default 0 (never). */
  idleTimeoutMs?: number;
  /**
   * Largest frame accepted. Default 1 MiB, the default per-connection cap: a partial frame counts
   * toward that cap, and a connection holding nothing else keeps reading a frame past the cap
   * only up to this limit.
   */
  maxFrameBytes?: number;
  /** Disable Nagle's algorithm on accepted sockets. Default true. */
  noDelay?: boolean;
  /**
   * Per-connection cap on what a connection holds: its partial frame, requests awaiting replies
   * and replies not yet written, each frame and queued write also charged a fixed overhead.
   * Past it the server stops reading from that connection until enough is written; a connection
   * that holds only a partial frame reads on, up to `maxFrameBytes`. Default 1 MiB.
   */
  maxBufferedBytesPerConnection?: number;
  /**
   * Bytes every connection together may hold (partial frames, requests awaiting replies,
   * unwritten replies); past it the server pauses reading and closes the connections holding
   * the most (`SWITCHYARD_ERR_MEMORY_BUDGET`) before the process is at risk. Default a quarter
   * of the heap limit ({@link defaultServerBudgetBytes}).
   */
  maxServerBufferedBytes?: number;
  /**
   * A frame that has started must be complete within this long, or its connection is closed
   * (`SWITCHYARD_ERR_FRAME_TIMEOUT`): a client dribbling a frame cannot hold a connection (or
   * the blocking strategy's line). Default 30 s; 0 turns it off.
   */
  frameTimeoutMs?: number;
  /**
   * A handler call must settle within this long, or the request fails
   * (`SWITCHYARD_ERR_HANDLER_TIMEOUT`) and its connection is closed. Default 30 s; 0 turns it
   * off.
   */
  handlerTimeoutMs?: number;
  /**
   * Behind a balancer that sends the PROXY protocol: each connection must start with a header of
   * the versions taken (`v1` text, `v2` binary, `any`), complete within `frameTimeoutMs`; the
   * handler then sees the client it names (`context.remoteAddress`, `remotePort`) and the
   * balancer as `context.proxiedBy`. A connection without one is closed
   * (`SWITCHYARD_ERR_PROXY_HEADER`). Only for a port that balancers alone can reach: a header
   * says who the client is, and anyone who can connect can write one. Default `off`.
   */
  proxyProtocol?: ProxyProtocol;
  /**
   * Bind with `SO_REUSEPORT`, so that several processes listen on one port and the kernel
   * spreads connections over them. Needs Node >= 22.12 (23.1 on the 23 line) on Linux or a BSD;
   * elsewhere `listen` fails with `SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED`. Default false.
   */
  reusePort?: boolean;
  /**
   * Serve TLS: every accepted connection does a TLS handshake (after its PROXY header, when on)
   * that must finish within `frameTimeoutMs`; one that fails or is late (a plaintext client) is
   * closed (`SWITCHYARD_ERR_TLS_HANDSHAKE`). Default none (plaintext).
   */
  tls?: TlsOptions;
}

/** {@link ServerOptions} with every default filled in. */
export interface ResolvedServerOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string | undefined;
  readonly codec: CodecReference;
  readonly handler: HandlerReference;
  readonly handlerOptions: HandlerOptions;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly maxFrameBytes: number;
  readonly noDelay: boolean;
  readonly maxBufferedBytesPerConnection: number;
  readonly maxServerBufferedBytes: number;
  readonly frameTimeoutMs: number;
  readonly handlerTimeoutMs: number;
  readonly proxyProtocol: ProxyProtocol;
  readonly reusePort: boolean;
  readonly tls: TlsOptions | undefined;
}

export const DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION = 1024 * 1024;
/**
 * Default `maxConnections`. Each connection is a file descriptor: past the process's limit
 * (`ulimit -n`; Node raises the soft limit to the hard one at start) accepts fail and so does
 * everything else that opens one, for every client and the handler. 10 000 fits under the hard
 * limits commonly found (524 288 for systemd services; 20 000 on our test machines) with room for
 * the handler's own files and sockets, and an idle connection costs the selector about 5.4 KB
 * (docs/benchmarks.md, memory per idle connection); what clients make the server hold is the
 * memory budget's to bound. Lower it where the fd limit is lower.
 */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_FRAME_TIMEOUT_MS = 30_000;
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

/**
 * The default server-wide budget: a quarter of this thread's heap limit, so that what clients
 * make the server hold can never reach the limit at which V8 aborts the process.
 */
export function defaultServerBudgetBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 4);
}

/** The keys of {@link ServerOptions}, which every strategy accepts. */
export const serverOptionKeys: readonly string[] = Object.freeze([
  'host',
  'port',
  'path',
  'codec',
  'handler',
  'handlerOptions',
  'maxConnections',
  'idleTimeoutMs',
  'maxFrameBytes',
  'noDelay',
  'maxBufferedBytesPerConnection',
  'maxServerBufferedBytes',
  'frameTimeoutMs',
  'handlerTimeoutMs',
  'proxyProtocol',
  'reusePort',
  'tls',
]);

/**
 * Fills in defaults and validates; codec and handler modules are loaded later, by the strategy.
 * Throws `SWITCHYARD_ERR_INVALID_OPTION` for a value out of range or of the wrong type, and for a
 * key that is neither a {@link ServerOptions} key nor one of `ownKeys` (the strategy's own
 * options, which it checks itself); `SWITCHYARD_ERR_CODEC_INVALID` or
 * `SWITCHYARD_ERR_HANDLER_INVALID` for a value given in place of a module that is not one.
 */
export function resolveServerOptions(
  options: ServerOptions = {},
  ownKeys: readonly string[] = [],
): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'expected an object');
  }
  assertKnownKeys(options, [...serverOptionKeys, ...ownKeys]);
  const codec = codecReference(options.codec);
  for (const key of ['noDelay', 'reusePort'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new InvalidOptionError(key, `expected a boolean, got ${String(options[key])}`);
    }
  }
  const handlerOptions = options.handlerOptions ?? {};
  if (
    typeof handlerOptions !== 'object' ||
    handlerOptions === null ||
    Array.isArray(handlerOptions)
  ) {
    throw new InvalidOptionError('handlerOptions', 'expected an object');
  }
  const port = nonNegativeInteger('port', options.port, 0);
  if (port > 65535) throw new InvalidOptionError('port', `expected 0-65535, got ${port}`);
  const maxFrameBytes = nonNegativeInteger(
    'maxFrameBytes',
    options.maxFrameBytes,
    DEFAULT_MAX_FRAME_BYTES,
  );
  if (maxFrameBytes > 0xffff_ffff) {
    throw new InvalidOptionError('maxFrameBytes', 'must fit a 32-bit length prefix');
  }
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (maxConnections !== Number.POSITIVE_INFINITY)
    nonNegativeInteger('maxConnections', maxConnections, 0);
  const maxBuffered = nonNegativeInteger(
    'maxBufferedBytesPerConnection',
    options.maxBufferedBytesPerConnection,
    DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION,
  );
  if (maxBuffered < 1)
    throw new InvalidOptionError('maxBufferedBytesPerConnection', 'must be at least 1');
  const path = options.path === undefined ? undefined : nonEmptyString('path', options.path, '');
  if (path !== undefined && (options.host !== undefined || port !== 0)) {
    throw new InvalidOptionError('path', 'a Unix socket path, or host and port: not both');
  }
  const tls = tlsOptions(options.tls);
  return {
    host: nonEmptyString('host', options.host, '127.0.0.1'),
    port,
    path,
    codec,
    handler: handlerReference(options.handler),
    handlerOptions,
    maxConnections,
    idleTimeoutMs: nonNegativeInteger('idleTimeoutMs', options.idleTimeoutMs, 0),
    maxFrameBytes,
    noDelay: options.noDelay ?? true,
    maxBufferedBytesPerConnection: maxBuffered,
    maxServerBufferedBytes: positiveInteger(
      'maxServerBufferedBytes',
      options.maxServerBufferedBytes,
      defaultServerBudgetBytes,
    ),
    frameTimeoutMs: nonNegativeInteger(
      'frameTimeoutMs',
      options.frameTimeoutMs,
      DEFAULT_FRAME_TIMEOUT_MS,
    ),
    handlerTimeoutMs: nonNegativeInteger(
      'handlerTimeoutMs',
      options.handlerTimeoutMs,
      DEFAULT_HANDLER_TIMEOUT_MS,
    ),
    proxyProtocol: proxyProtocol(options.proxyProtocol),
    reusePort: options.reusePort ?? false,
    tls,
  };
}

/**
 * A way to run a service. Every strategy passes the conformance suite for its capabilities, and
 * describes itself (modes, options) so that tools treat every strategy alike.
 */
export interface Strategy<Options extends ServerOptions = ServerOptions> {
  readonly name: string;
  /** One line for tables and `--help`. */
  readonly description: string;
  readonly capabilities: StrategyCapabilities;
  /**
   * Distinct ways to run it, each a contender of its own in tests and benchmarks; absent for a
   * strategy with one way. A strategy with modes lists `defineModeOption(modes)` in `options`.
   */
  readonly modes?: StrategyModes;
  /** The options it takes beyond {@link ServerOptions}; its resolver checks them with these. */
  readonly options?: readonly StrategyOption[];
  /**
   * Where another process can import this very strategy from, so that a tool can run it in
   * child processes (`@switchyard/server-processes`). Absent: it runs only where it was given.
   */
  readonly importFrom?: StrategyImport;
  listen(options?: Options): Promise<RunningServer>;
}
