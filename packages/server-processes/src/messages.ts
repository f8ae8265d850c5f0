import type {
  SerializedError,
  ServerAddress,
  ServerStats,
  ServerWarning,
  StrategyImport,
} from '@switchyard/protocol';
import type { Distribution } from './options.js';

/**
 * Every message between the three kinds of process, in one place. The primary (the process that
 * called `listen`) talks to one supervisor, a process of its own that runs `cluster` (so its
 * process-wide settings never touch the caller's), and the supervisor to each serving child.
 * Channels use Node's `advanced` serialization (structured clone), so `Infinity`, Buffers and
 * Maps in options arrive intact.
 */

/** What the supervisor is told to run. */
export interface SupervisorPlan {
  readonly strategy: StrategyImport;
  /** What each child's strategy listens with (the supervisor sets the port for later ones). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly processes: number;
  readonly distribution: Distribution;
}

/** Primary to supervisor. */
export type PrimaryCommand =
  | { readonly type: 'start'; readonly plan: SupervisorPlan }
  /** Every child listens: from now on a child that dies is replaced. */
  | { readonly type: 'up' }
  | { readonly type: 'close'; readonly timeoutMs: number }
  | { readonly type: 'destroy' };

/**
 * Supervisor to primary. A process's first message is `ready`: a message that reaches it before
 * its entry module has loaded and listens would be lost, so nothing is sent to it before.
 */
export type SupervisorReport =
  | { readonly type: 'ready' }
  | { readonly type: 'spawned'; readonly slot: number; readonly pid: number }
  /** A child's own message, relayed as it came. */
  | {
      readonly type: 'child';
      readonly slot: number;
      readonly pid: number;
      readonly message: ChildReport;
    }
  | {
      readonly type: 'exited';
      readonly slot: number;
      readonly pid: number;
      /** How it ended: `code 1`, `signal SIGKILL`. */
      readonly how: string;
      /** When it will be replaced; absent when it will not be (starting, or closing). */
      readonly respawnInMs?: number;
    }
  /** Every child has exited; the supervisor exits next. */
  | { readonly type: 'done' };

/** Supervisor to a serving child. */
export type ChildCommand =
  | {
      readonly type: 'start';
      readonly strategy: StrategyImport;
      readonly options: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'close'; readonly timeoutMs: number }
  | { readonly type: 'destroy' };

/** A connection failure as it crosses a process boundary. */
export interface SerializedFailure {
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly error: SerializedError;
}

/** A warning as it crosses a process boundary. */
export type SerializedWarning = Omit<ServerWarning, 'error'> & { readonly error?: SerializedError };

/** A serving child to the supervisor, which relays it to the primary (but `ready`). */
export type ChildReport =
  | { readonly type: 'ready' }
  | { readonly type: 'listening'; readonly address: ServerAddress }
  | { readonly type: 'start-failed'; readonly error: SerializedError }
  /** Its whole stats, sent when they changed (at most every `STATS_INTERVAL_MS`) and last of all. */
  | { readonly type: 'stats'; readonly stats: ServerStats }
  /** Failures of one event-loop turn; past the batch limit only counted (`dropped`). */
  | {
      readonly type: 'failures';
      readonly failures: readonly SerializedFailure[];
      readonly dropped: number;
    }
  | { readonly type: 'warning'; readonly warning: SerializedWarning }
  /** Its `close()` or `destroy()` settled; it exits next. */
  | { readonly type: 'closed'; readonly error?: SerializedError };

/** How often a child sends its stats when they changed. */
export const STATS_INTERVAL_MS = 20;

/** Failures a child sends per event-loop turn; more are counted in its stats only. */
export const MAX_FAILURES_PER_BATCH = 64;

/**
 * How long past its close timeout (or at once, for destroy) a child that has not exited is
 * killed; the primary waits twice this for the supervisor before killing it too.
 */
export const KILL_GRACE_MS = 2_000;
