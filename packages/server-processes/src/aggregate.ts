import {
  addHandlerTimes,
  EMPTY_HANDLER_TIME,
  type ErrorCode,
  type ServerStats,
} from '@switchyard/protocol';

/**
 * The stats of several processes as one server's: a pure function, so the primary's `stats()`
 * stays synchronous (it sums the latest stats each child sent) and the rule is tested alone.
 */

export const EMPTY_STATS: ServerStats = Object.freeze({
  accepted: 0,
  active: 0,
  refused: 0,
  bytesIn: 0,
  bytesOut: 0,
  framesIn: 0,
  framesOut: 0,
  bufferedBytes: 0,
  peakConnectionBufferedBytes: 0,
  errors: Object.freeze({}),
  handlerTime: EMPTY_HANDLER_TIME,
});

/**
 * Counters summed, error counts summed per code, handler times bucket by bucket, the peak the
 * highest of any. Each process's `workers` are its own: they stay in its part, not in the sum.
 */
export function sumStats(parts: readonly ServerStats[]): ServerStats {
  const errors: Partial<Record<ErrorCode, number>> = {};
  const total: { -readonly [Key in keyof ServerStats]: ServerStats[Key] } = { ...EMPTY_STATS };
  for (const part of parts) {
    total.accepted += part.accepted;
    total.active += part.active;
    total.refused += part.refused;
    total.bytesIn += part.bytesIn;
    total.bytesOut += part.bytesOut;
    total.framesIn += part.framesIn;
    total.framesOut += part.framesOut;
    total.bufferedBytes += part.bufferedBytes;
    total.peakConnectionBufferedBytes = Math.max(
      total.peakConnectionBufferedBytes,
      part.peakConnectionBufferedBytes,
    );
    for (const [code, count] of Object.entries(part.errors) as [ErrorCode, number][]) {
      errors[code] = (errors[code] ?? 0) + count;
    }
  }
  return { ...total, errors, handlerTime: addHandlerTimes(parts.map((part) => part.handlerTime)) };
}

/** What a process that is gone still counts for: its totals, nothing open or held. */
export function retired(stats: ServerStats): ServerStats {
  return { ...stats, active: 0, bufferedBytes: 0 };
}
