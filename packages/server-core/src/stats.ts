import type { ErrorCode, ServerStats } from '@switchyard/protocol';
import { HandlerTimes } from './handler-time.js';

/**
 * Mutable counters behind {@link ServerStats}. Plain fields, so the hot path pays one increment
 * per event. `bufferedBytes` is read from the live connections when a snapshot is taken.
 */
export class StatsRecorder {
  accepted = 0;
  active = 0;
  refused = 0;
  bytesIn = 0;
  bytesOut = 0;
  framesIn = 0;
  framesOut = 0;
  peakConnectionBufferedBytes = 0;
  readonly errors = new Map<ErrorCode, number>();
  /**
   * Handler calls, timed where they run (see `timeHandlerCalls`): memory of its own, or given
   * (shared with the thread that reads it).
   */
  readonly handlerTime: HandlerTimes;

  constructor(handlerTime = new HandlerTimes()) {
    this.handlerTime = handlerTime;
  }

  recordError(code: ErrorCode, count = 1): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + count);
  }

  /** Notes how much one connection holds right now, keeping the high-water mark. */
  observeBuffered(bytes: number): void {
    if (bytes > this.peakConnectionBufferedBytes) this.peakConnectionBufferedBytes = bytes;
  }

  /** Adds counters gathered elsewhere (a worker thread) into this recorder. */
  add(delta: StatsDelta): void {
    this.bytesIn += delta.bytesIn;
    this.bytesOut += delta.bytesOut;
    this.framesIn += delta.framesIn;
    this.framesOut += delta.framesOut;
    this.observeBuffered(delta.peakConnectionBufferedBytes);
    for (const [code, count] of Object.entries(delta.errors)) {
      this.recordError(code as ErrorCode, Number(count));
    }
  }

  snapshot(bufferedBytes: number): ServerStats {
    return {
      accepted: this.accepted,
      active: this.active,
      refused: this.refused,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      bufferedBytes,
      peakConnectionBufferedBytes: this.peakConnectionBufferedBytes,
      errors: Object.fromEntries(this.errors),
      handlerTime: this.handlerTime.snapshot(),
    };
  }
}

/**
 * Counters one thread hands to another; see {@link StatsRecorder.add}. Connections are accepted
 * and counted where the listener is, so `accepted`, `active` and `refused` are not in it; handler
 * times are not either (a thread shares them in memory: {@link HandlerTimes}).
 */
export type StatsDelta = Pick<
  ServerStats,
  'bytesIn' | 'bytesOut' | 'framesIn' | 'framesOut' | 'peakConnectionBufferedBytes' | 'errors'
>;
