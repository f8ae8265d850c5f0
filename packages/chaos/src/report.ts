import type { AttackFigures } from './attack.js';
import type { ResourceSpan } from './resources.js';

/** Names the JSON report's shape. */
export const CHAOS_REPORT_SCHEMA = 'switchyard-chaos/1';

/** What the good clients got in one phase. */
export interface GoodFigures {
  /** Replies that passed the oracle, completed in the phase. */
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Latency percentiles of requests sent in the phase, microseconds (0 with none). */
  readonly p50Us: number;
  readonly p99Us: number;
  /**
   * Request bytes whose replies never came: in flight on a good connection the server closed or
   * reset, or still unanswered when the run ended (after its drain).
   */
  readonly lostBytes: number;
  /** Request bytes whose reply failed the oracle: corrupted, or another reply in its place. */
  readonly wrongBytes: number;
  /** Failures of good clients: wrong replies, closed connections, connect errors. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
}

/**
 * One window of the run: good clients warming up, alone, under one attack, or settling after
 * them.
 */
export interface PhaseReport {
  /** `warm-up`, `baseline`, the attack's name, or `settle`. */
  readonly name: string;
  readonly kind: 'warmup' | 'baseline' | 'attack' | 'settle';
  readonly elapsedMs: number;
  readonly good: GoodFigures;
  /**
   * Attack phases: the good clients' replies in the second half alone, once the attack is in full
   * swing (a server that stalls after a moment still answers a few at the start).
   */
  readonly goodLate?: { readonly requests: number; readonly requestsPerSecond: number };
  /** What the attack did (attack phases). */
  readonly attack?: AttackFigures;
  /** The server's RSS and fds over the phase, when chaos started it. */
  readonly resources?: ResourceSpan;
}

/** How one invariant came out. */
export interface Verdict {
  readonly invariant: InvariantId;
  /**
   * `not measured`: the run had nothing to judge it by (no server process to sample). `warn`:
   * held, with something worth a look that is not a failure (RSS still up after the settle,
   * though bounded).
   */
  readonly status: 'pass' | 'warn' | 'fail' | 'not measured';
  /** The figures behind the verdict, with the threshold where there is one. */
  readonly detail: string;
  /** The phases that broke it. */
  readonly phases: readonly string[];
}

export type InvariantId = 'intact' | 'serving' | 'resources' | 'under-attack';

/** Everything a chaos run measured against one server. */
export interface ChaosReport {
  readonly schema: typeof CHAOS_REPORT_SCHEMA;
  /** The server: a contender's name, or the target's address. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Whether chaos started the server (then its resources are sampled). */
  readonly started: boolean;
  readonly service: {
    readonly workload: string;
    readonly codec: string;
    readonly handler?: string;
  };
  /** How the good clients drove it. */
  readonly good: {
    readonly pattern: 'stream' | 'churn';
    readonly connections: number;
    readonly depth: number;
    readonly size: number;
    /** Why this pattern: what the server declares about itself. */
    readonly why: string;
  };
  readonly durationMs: number;
  readonly thresholds: Thresholds;
  /** Attacks not run against this server, and why. */
  readonly skipped: readonly { readonly attack: string; readonly reason: string }[];
  readonly phases: readonly PhaseReport[];
  /** The server's resources over the whole run (start of baseline to end of settle). */
  readonly resources?: ResourceSpan;
  /** The check after the run on a fresh connection: undefined when it answered right. */
  readonly probe?: string;
  /** Set when the server process exited during the run (with its last stderr lines). */
  readonly exited?: string;
  /** Set when the run could not be made at all (the server did not start or answered wrongly). */
  readonly error?: string;
  readonly verdicts: readonly Verdict[];
  /** True when every invariant holds (or could not be measured) and the run was made. */
  readonly passed: boolean;
}

/** How near the start the server's resources must come back by the end. */
export interface Thresholds {
  /**
   * RSS at the end of the settle may exceed RSS at the start by this much; past it the verdict
   * is a warning (see {@link rssPeakSlackBytes} for the failure). Default 64 MiB.
   */
  readonly rssSlackBytes: number;
  /**
   * RSS at its peak may exceed RSS at the start by this much: past it, memory is what clients
   * took, not the runtime's heap sizing. A runtime grows its heap with the allocation rate and
   * frees it at its next full collection (the worker pool's offload mode peaks at about +300 MiB
   * under 8 never-reading pipelining clients and comes back after a collection); a server that
   * lets clients make it hold memory grows past any bound. Default 512 MiB.
   */
  readonly rssPeakSlackBytes: number;
  /** Open fds at the end may exceed those at the start by this many. Default 16. */
  readonly fdSlack: number;
  /**
   * Good clients' rate in the second half of each attack must reach this share of the
   * baseline's. Default 0.01 (1%): a few replies a second against tens of thousands is a stall,
   * not service. 0 asks only that it is not zero.
   */
  readonly minShareUnderAttack: number;
}
