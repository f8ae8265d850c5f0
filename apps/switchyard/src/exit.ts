import { ErrorCode, isSwitchyardError, UsageError } from '@switchyard/protocol';
import { CommanderError } from 'commander';

/** What `switchyard` exits with (besides 130 and 143 after SIGINT and SIGTERM). */
export const ExitCode = {
  /** Done, and what was checked held. */
  OK: 0,
  /** A failure while running: a case or invariant broke, a server would not start, a module threw. */
  FAILURE: 1,
  /** The command line is wrong: nothing was started. */
  USAGE: 2,
} as const;

/** Codes that say the command line itself is wrong, whatever the machine it runs on. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.USAGE,
  ErrorCode.INVALID_OPTION,
  ErrorCode.UNKNOWN_STRATEGY,
  ErrorCode.UNKNOWN_CODEC,
]);

/**
 * Codes of a module named on the command line that could not be loaded: a usage error when the
 * name resolves to nothing (a typo), a failure when the module was found and threw.
 */
const MODULE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.HANDLER_NOT_FOUND,
  ErrorCode.CODEC_NOT_FOUND,
  ErrorCode.WORKLOAD_NOT_FOUND,
]);

/** How a command that threw ends: a line for stderr (none when help was shown) and its exit code. */
export interface Ending {
  readonly exitCode: number;
  readonly line?: string;
}

/**
 * How `error`, thrown out of a command, is told. Commander's own parse errors become
 * `SWITCHYARD_ERR_USAGE`; every Switchyard error is one line with its code; anything else is a
 * bug, so its stack is kept.
 */
export function endingFor(error: unknown): Ending {
  if (error instanceof CommanderError) {
    // Help or the version was asked for, or help was shown because no command was given.
    if (error.exitCode === 0) return { exitCode: ExitCode.OK };
    if (error.code === 'commander.help') return { exitCode: ExitCode.USAGE };
    return endingFor(new UsageError(error.message.replace(/^error: /, '')));
  }
  if (isSwitchyardError(error)) {
    const message = error.message.replace(/\s*\n\s*/g, ' ');
    return {
      exitCode: isUsageError(error) ? ExitCode.USAGE : ExitCode.FAILURE,
      line: `switchyard: ${message} [${error.code}]`,
    };
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exitCode: ExitCode.FAILURE, line: `switchyard: unexpected error: ${text}` };
}

function isUsageError(error: { code: string; cause?: unknown }): boolean {
  if (USAGE_CODES.has(error.code)) return true;
  const cause = error.cause as { code?: unknown } | undefined;
  return MODULE_CODES.has(error.code) && cause?.code === 'ERR_MODULE_NOT_FOUND';
}
