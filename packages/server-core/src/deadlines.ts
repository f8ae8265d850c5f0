import { FrameTimeoutError, HandlerTimeoutError } from '@switchyard/protocol';
import type { ReplyOrder } from './reply-order.js';

/**
 * The two deadlines of a connection, each one timer (and its callback) made on first use and re-armed with
 * `Timeout#refresh` (no allocation), as Node re-arms a socket's idle timeout on every read.
 * Timers are unref'd: an open socket keeps the process alive, a deadline alone does not.
 */

function startTimer(callback: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return timer;
}

/**
 * `frameTimeoutMs`, in the spirit of nginx's `client_header_timeout`: a frame that has started
 * must complete within the limit, or the owner's `fail` runs with `SWITCHYARD_ERR_FRAME_TIMEOUT`. A frame starts with the read that leaves a
 * partial one (decoder `bufferedBytes` above zero) and completes with the read that finishes
 * it. The time the connection spends paused counts: a server stops reading only because the
 * connection holds too much (a client not reading its replies) or the server does.
 */
export class FrameDeadline {
  private timer: NodeJS.Timeout | undefined;
  /** True while a frame has started and not completed. */
  private inFrame = false;

  constructor(
    private readonly ms: number,
    private readonly owner: { fail(error: FrameTimeoutError): void },
  ) {}

  /** After each read: `partial`, a frame is left incomplete; `completed`, the read ended one. */
  afterRead(partial: boolean, completed: boolean): void {
    // A frame that was already under way keeps the time it started at.
    if (partial && (completed || !this.inFrame)) {
      if (this.timer === undefined) this.timer = startTimer(() => this.onTimer(), this.ms);
      else this.timer.refresh();
    }
    this.inFrame = partial;
  }

  /** The connection stopped reading (or closed): the frame in progress can no longer be late. */
  stop(): void {
    clearTimeout(this.timer);
    this.inFrame = false;
  }

  /** The timer runs from the start of the frame in progress, if any: it is the late one. */
  private onTimer(): void {
    if (this.inFrame) this.owner.fail(new FrameTimeoutError(this.ms));
  }
}

/**
 * `handlerTimeoutMs`: a handler call that has not settled within the limit makes the owner's
 * `timedOut` run with `SWITCHYARD_ERR_HANDLER_TIMEOUT`.
 * Pending calls hold their place in the reply order in the order they started, so the oldest is
 * the head and the first to be late: one timer per connection follows it. Each pending call
 * carries its start time (`ReplySlot.startedAt`, from {@link now}); a synchronous call cannot be
 * interrupted on its own thread and is not timed.
 */
export class HandlerDeadline {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly order: ReplyOrder,
    private readonly owner: { timedOut(error: HandlerTimeoutError): void },
  ) {}

  /** The start time to give a pending call's slot. */
  now(): number {
    return Date.now();
  }

  /** A call that just started is the oldest pending one: time it from now. */
  watchOldest(): void {
    if (this.timer === undefined) this.timer = startTimer(() => this.onTimer(), this.ms);
    else this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** The call timed may have settled since: look at the oldest pending one now. */
  private onTimer(): void {
    const oldest = this.order.oldestPending;
    if (oldest === undefined) return;
    const left = oldest.startedAt + this.ms - Date.now();
    if (left <= 0) this.owner.timedOut(new HandlerTimeoutError(this.ms));
    else this.timer = startTimer(() => this.onTimer(), left);
  }
}
