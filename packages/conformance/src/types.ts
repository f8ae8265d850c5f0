import type {
  BuiltinCodecName,
  CodecReference,
  ProxyProtocolVersion,
  ReplyOracle,
  ServerOptions,
  Strategy,
  StrategyCapabilities,
  WorkloadReference,
} from '@switchyard/protocol';
import type { ClientTls } from './tls.js';

/**
 * What a good reply is: a workload (a built-in name, a module specifier, or the value), whose
 * codec and handler the target then runs or speaks, or just a {@link ReplyOracle}
 * (`{ request, check }`) for the handler the target already has. Absent: replies are echoes.
 */
export type TargetWorkload = WorkloadReference | ReplyOracle;

/** MUST cases define conformance; SHOULD cases are strong recommendations (still reported). */
export type Tier = 'MUST' | 'SHOULD';

/** What a case needs from its target; a target that lacks one gets the case skipped. */
export type Need =
  /** Start the server with chosen options and read its stats: strategy targets only. */
  | 'server-control'
  /** Declared `connections: 'concurrent'`. */
  | 'concurrent-connections'
  /** Declared `connections: 'one-at-a-time'`. */
  | 'one-at-a-time-connections'
  /** Declared `parallelHandlers: true`. */
  | 'parallel-handlers'
  /**
   * Takes PROXY protocol headers: a strategy target (the case turns `proxyProtocol` on), or an
   * external one that declares `proxyProtocol`.
   */
  | 'proxy-protocol'
  /**
   * Runs in the process that started it (`runsIn` absent or `this-process`): its limits count
   * every connection, and shared memory reaches its handler.
   */
  | 'this-process'
  /** Serves TLS: a strategy target with `tls`, or an external one that declares `tls`. */
  | 'tls';

/**
 * Which codecs a case applies to, by what a codec declares (never by its name):
 * - `any`: every codec;
 * - `framed`: codecs that buffer and split, i.e. do not declare `frameIsChunk`: they have frames
 *   to reassemble, and limits, truncations and garbage to get wrong;
 * - `malformed-examples`: framed codecs that declare `malformedExamples`.
 */
export type CodecTrait = 'any' | 'framed' | 'malformed-examples';

/** A case as listed, without running anything. */
export interface CaseInfo {
  /** Stable id, `group.name`: match on it, it never changes meaning. */
  readonly id: string;
  readonly description: string;
  readonly tier: Tier;
  /** The codecs the case applies to; a target that pins another gets the case skipped. */
  readonly codecs: CodecTrait;
  /**
   * The built-in codecs it exercises when the target pins none, in order: a case runs with the
   * first, or with each in turn (the stream and framing cases).
   */
  readonly defaultCodecs: readonly BuiltinCodecName[];
  readonly needs: readonly Need[];
  /** The case fails if it has not finished by then. */
  readonly timeoutMs: number;
}

/** A strategy the suite starts in-process (on port 0, loopback) with the options each case needs. */
export interface StrategyTarget {
  readonly kind: 'strategy';
  readonly strategy: Strategy;
  /**
   * Passed to every `listen` (worker count, ...); a case's own options win. `codec` pins a codec
   * (a built-in name, a module specifier or a `Codec`): every case that applies to it runs with
   * it, the others are skipped. `handler` is the service's handler (default: echo).
   */
  readonly options?: ServerOptions & Record<string, unknown>;
  /**
   * What a good reply is. A workload also gives the codec (unless `options.codec` pins one) and
   * the handler (unless `options.handler` sets one) that the service's servers run.
   */
  readonly workload?: TargetWorkload;
  readonly name?: string;
  /**
   * Serve TLS, and every case's clients speak it: with the certificate `options.tls` gives, or a
   * throwaway one the runner makes (`selfsigned`, in memory); clients trust it. The `tls.*`
   * cases run.
   */
  readonly tls?: boolean;
  /**
   * Its servers listen on Unix domain sockets (a fresh path in a temporary folder for each)
   * instead of loopback TCP; cases that need a TCP host skip.
   */
  readonly unixSocket?: boolean;
}

/**
 * A server already running somewhere, speaking `codec`, with the declared capabilities: at
 * `host:port`, or on the Unix domain socket `path`.
 */
export type ExternalTarget = ExternalTargetInfo &
  (
    | { readonly host: string; readonly port: number; readonly path?: undefined }
    | { readonly path: string; readonly host?: undefined; readonly port?: undefined }
  );

/** What an {@link ExternalTarget} declares besides where it is. */
export interface ExternalTargetInfo {
  readonly kind: 'external';
  /**
   * The codec it speaks: a built-in name, a module specifier, or a `Codec`. May be left out when
   * `workload` is a workload: then it speaks the workload's codec.
   */
  readonly codec?: CodecReference;
  /** What a good reply from it is; absent: replies are echoes. */
  readonly workload?: TargetWorkload;
  readonly capabilities: StrategyCapabilities;
  readonly name?: string;
  /** The server's frame limit, for the framing cases. Default 1 MiB (the Switchyard default). */
  readonly maxFrameBytes?: number;
  /**
   * It expects a PROXY protocol header of these versions at the start of every connection (a
   * backend behind a balancer that sends them): every case's clients send one naming themselves,
   * and the `proxy.*` cases run. Absent: it takes none.
   */
  readonly proxyProtocol?: ProxyProtocolVersion;
  /**
   * It serves TLS: every case's clients speak it, trusting `ca` (or anything, with `insecure`),
   * and the `tls.*` cases run. Absent: plaintext.
   */
  readonly tls?: ClientTls;
}

export type Target = StrategyTarget | ExternalTarget;

export type CaseStatus = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  readonly id: string;
  readonly description: string;
  readonly tier: Tier;
  readonly status: CaseStatus;
  /** Why it failed (what differed) or why it was skipped. */
  readonly message?: string;
  readonly durationMs: number;
  /** Names of the codecs exercised (empty when skipped before running). */
  readonly codecs: readonly string[];
}

/** What a report says about the target it ran against. */
export interface TargetInfo {
  readonly name: string;
  readonly kind: Target['kind'];
  readonly capabilities: StrategyCapabilities;
  /** External targets: `host:port`, or `unix:/path`. */
  readonly address?: string;
  /** The name of the codec the target speaks or was pinned to. */
  readonly codec?: string;
  /** What replies were checked by: the workload's label, `oracle`, or `echo`. */
  readonly oracle?: string;
}

export interface SuiteSummary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface SuiteReport {
  readonly target: TargetInfo;
  /** `process.version` of the runner. */
  readonly node: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly results: readonly CaseResult[];
  readonly summary: SuiteSummary;
}

export interface RunSuiteOptions {
  /**
   * Case ids to run: comma-separated patterns, `*` wildcards, a bare group (`echo`) for `echo.*`.
   * A pattern that matches no case rejects with `SWITCHYARD_ERR_INVALID_OPTION` before anything runs.
   */
  filter?: string;
  /** Called as each case finishes, for progress output. */
  onResult?: (result: CaseResult) => void;
}
