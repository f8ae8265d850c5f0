import { isIP } from 'node:net';
import type { BenchContender } from '@switchyard/bench';
import {
  DEFAULT_MAX_FRAME_BYTES,
  InvalidOptionError,
  type StrategyCapabilities,
} from '@switchyard/protocol';
import type { Attack } from './attack.js';
import { builtinAttacks, selectAttacks } from './attacks/index.js';
import { DEFAULT_THRESHOLDS } from './invariants.js';
import type { Thresholds } from './report.js';

/** What `chaos()` takes. Give `target` or `server`. */
export interface ChaosOptions {
  /** A server already running, on a loopback address; its resources cannot be sampled. */
  readonly target?: { readonly host: string; readonly port: number; readonly name?: string };
  /**
   * A server for chaos to start in its own process group, as the bench starts contenders (see
   * `strategyContenders` in the `@switchyard/cli` package); its RSS and fds are sampled from /proc.
   */
  readonly server?: BenchContender;
  /**
   * How the server schedules connections (a strategy's `capabilities`). A one-at-a-time server
   * gets good clients that connect per request, and no attack that holds its connection.
   * Default: concurrent.
   */
  readonly capabilities?: Pick<StrategyCapabilities, 'connections'>;
  /** The good clients' workload: a built-in name or a module. Default `echo`. */
  readonly workload?: string;
  /**
   * The codec: default the workload's own, except for the default workload, which runs over
   * `length-prefixed` (echo's random payloads fit it, and its frames have boundaries that
   * partial-frame attacks need; over `raw` every read is a frame).
   */
  readonly codec?: string;
  /** Built-in attack names or attacks of your own. Default every built-in one. */
  readonly attacks?: readonly (string | Attack)[];
  /** Length of each phase: the baseline, each attack, the settle. Default 2000 ms. */
  readonly durationMs?: number;
  /** Good clients run this long before the baseline, not measured. Default 500 ms. */
  readonly warmupMs?: number;
  /** After the settle, how long good clients wait for replies still owed. Default 2000 ms. */
  readonly drainMs?: number;
  /**
   * A started server whose RSS is still over the slack when the settle ends settles on, good
   * clients still running, until it is back within it or this much longer. A runtime frees heap
   * it grew under load when it next collects, which takes allocation; memory a server keeps does
   * not come back at all. Default 10 000 ms; 0 judges at the settle's end.
   */
  readonly memorySettleMs?: number;
  /** Good connections (connect-request-close loops for a one-at-a-time server). Default 4 (2). */
  readonly connections?: number;
  /** Request size for workloads that take one. Default 1 KiB. */
  readonly size?: number;
  /** The server's frame limit, which oversized frames exceed. Default `DEFAULT_MAX_FRAME_BYTES` (1 MiB), the strategies' default. */
  readonly maxFrameBytes?: number;
  readonly thresholds?: Partial<Thresholds>;
  /** Where a started server listens. Default 127.0.0.1. */
  readonly host?: string;
  /** How long a started server may take to listen. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Stops the server, the good clients and the attacks, and rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Told as each phase starts, for a progress display. */
  readonly onPhase?: (phase: {
    readonly name: string;
    readonly index: number;
    readonly count: number;
  }) => void;
}

/** Every option with its default. */
export interface ResolvedChaosOptions {
  readonly target?: { readonly host: string; readonly port: number; readonly name?: string };
  readonly server?: BenchContender;
  readonly oneAtATime: boolean;
  readonly workload: string;
  readonly codec?: string;
  readonly attacks: readonly Attack[];
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly drainMs: number;
  readonly memorySettleMs: number;
  readonly connections: number;
  readonly size: number;
  readonly maxFrameBytes: number;
  readonly thresholds: Thresholds;
  readonly host: string;
  readonly readyTimeoutMs: number;
}

/** Largest frame limit chaos attacks: an oversized frame is built in memory. */
export const MAX_ATTACKED_FRAME_BYTES = 256 * 1024 * 1024;

/** The default workload, and the codec it runs over unless told otherwise. */
const DEFAULT_WORKLOAD = 'echo';
const DEFAULT_WORKLOAD_CODEC = 'length-prefixed';

/** Fills in defaults and refuses what cannot run (`SWITCHYARD_ERR_INVALID_OPTION`). */
export function resolveChaosOptions(options: ChaosOptions): ResolvedChaosOptions {
  if ((options.target === undefined) === (options.server === undefined)) {
    throw new InvalidOptionError(
      'target',
      'give a target (a running server) or a server to start, one of them',
    );
  }
  const host = options.host ?? '127.0.0.1';
  assertLoopback(options.target?.host ?? host, options.target ? 'target' : 'host');
  const oneAtATime = options.capabilities?.connections === 'one-at-a-time';
  const codec =
    options.codec ?? (options.workload === undefined ? DEFAULT_WORKLOAD_CODEC : undefined);
  const maxFrameBytes = whole('maxFrameBytes', options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 1);
  if (maxFrameBytes > MAX_ATTACKED_FRAME_BYTES) {
    throw new InvalidOptionError(
      'maxFrameBytes',
      `chaos attacks frame limits up to ${MAX_ATTACKED_FRAME_BYTES} B`,
    );
  }
  return {
    ...(options.target && { target: options.target }),
    ...(options.server && { server: options.server }),
    oneAtATime,
    workload: options.workload ?? DEFAULT_WORKLOAD,
    ...(codec !== undefined && { codec }),
    attacks: (options.attacks ?? builtinAttacks()).map((attack) =>
      typeof attack === 'string' ? selectAttacks(attack, 'attacks')[0]! : attack,
    ),
    durationMs: whole('durationMs', options.durationMs, 2000, 1),
    warmupMs: whole('warmupMs', options.warmupMs, 500, 0),
    drainMs: whole('drainMs', options.drainMs, 2000, 0),
    memorySettleMs: whole('memorySettleMs', options.memorySettleMs, 10_000, 0),
    connections: whole('connections', options.connections, oneAtATime ? 2 : 4, 1),
    size: whole('size', options.size, 1024, 1),
    maxFrameBytes,
    thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    host,
    readyTimeoutMs: whole('readyTimeoutMs', options.readyTimeoutMs, 30_000, 1),
  };
}

/** Throws unless `host` is a loopback address: chaos attacks nothing beyond this machine. */
export function assertLoopback(host: string, option: string): void {
  if (!isLoopback(host)) {
    throw new InvalidOptionError(
      option,
      `chaos attacks loopback addresses only (127.0.0.0/8, ::1, localhost), got "${host}"`,
    );
  }
}

/** True for `localhost`, 127.0.0.0/8, `::1` and 127.0.0.0/8 mapped into IPv6. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.replace(/^::ffff:/, '');
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(name, `expected a whole number >= ${min}, got ${String(value)}`);
  }
  return value;
}
