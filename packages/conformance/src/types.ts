import type {
  CodecName,
  ServerOptions,
  Strategy,
  StrategyCapabilities,
} from '@switchyard/protocol';

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
  | 'parallel-handlers';

/** A case as listed, without running anything. */
export interface CaseInfo {
  /** Stable id, `group.name`: match on it, it never changes meaning. */
  readonly id: string;
  readonly description: string;
  readonly tier: Tier;
  /** Codecs the case applies to; with a strategy target it exercises each in turn or the first. */
  readonly codecs: readonly CodecName[];
  readonly needs: readonly Need[];
  /** The case fails if it has not finished by then. */
  readonly timeoutMs: number;
}

/** A strategy the suite starts in-process (on port 0, loopback) with the options each case needs. */
export interface StrategyTarget {
  readonly kind: 'strategy';
  readonly strategy: Strategy;
  /** Passed to every `listen` (worker count, codec to pin, ...); a case's own options win. */
  readonly options?: ServerOptions & Record<string, unknown>;
  readonly name?: string;
}

/** A server already running somewhere, speaking `codec`, with the declared capabilities. */
export interface ExternalTarget {
  readonly kind: 'external';
  readonly host: string;
  readonly port: number;
  readonly codec: CodecName;
  readonly capabilities: StrategyCapabilities;
  readonly name?: string;
  /** The server's frame limit, for the framing cases. Default 16 MiB (the Switchyard default). */
  readonly maxFrameBytes?: number;
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
  /** Codecs exercised (empty when skipped before running). */
  readonly codecs: readonly CodecName[];
}

/** What a report says about the target it ran against. */
export interface TargetInfo {
  readonly name: string;
  readonly kind: Target['kind'];
  readonly capabilities: StrategyCapabilities;
  /** External targets: `host:port` and the codec spoken. */
  readonly address?: string;
  readonly codec?: CodecName;
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
  /** Case ids to run: comma-separated patterns, `*` wildcards, a bare group (`echo`) for `echo.*`. */
  filter?: string;
  /** Called as each case finishes, for progress output. */
  onResult?: (result: CaseResult) => void;
}
