import type { CaseContext } from '../context.js';
import type { CaseInfo } from '../types.js';

/** Default time limit of a case. */
export const DEFAULT_CASE_TIMEOUT_MS = 15_000;

/** Timeout of one wait that has a more precise message than the case's own time limit. */
export const WAIT_MS = 5_000;

/** A case: what it is, and how to run it against a context. */
export interface CaseDefinition extends CaseInfo {
  run(context: CaseContext): Promise<void>;
}

export function defineCase(
  definition: Omit<CaseDefinition, 'timeoutMs'> & { timeoutMs?: number },
): CaseDefinition {
  return { timeoutMs: DEFAULT_CASE_TIMEOUT_MS, ...definition };
}

/** Every built-in codec, `raw` first. */
export const ALL_CODECS = ['raw', 'lines', 'length-prefixed'] as const;
/** The built-in codecs that have frames to get wrong. */
export const FRAMED_CODECS = ['length-prefixed', 'lines'] as const;
