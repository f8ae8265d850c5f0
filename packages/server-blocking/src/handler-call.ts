/**
 * `running` until the call settles (`settled`) or its deadline passes first (`overdue`); an
 * overdue call that settles later stays `overdue`.
 */
export type HandlerCallState = 'running' | 'settled' | 'overdue';

/**
 * One asynchronous handler call, watched by the line: the line waits for it to settle before
 * the next client is served, but never past `handlerTimeoutMs` from its start. JavaScript cannot
 * stop a promise, so an overdue call is abandoned, not cancelled: it may still be running when
 * the next client is served.
 */
export class HandlerCall {
  private current: HandlerCallState = 'running';
  /** Resolves once the call is no longer `running`, with what it became. */
  readonly done: Promise<Exclude<HandlerCallState, 'running'>>;

  /** `timeoutMs` 0 waits for the call however long it takes. */
  constructor(result: PromiseLike<unknown>, timeoutMs: number) {
    this.done = new Promise((resolve) => {
      // The deadline decides only when the line moves on: it keeps no process alive.
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.current = 'overdue';
              resolve('overdue');
            }, timeoutMs).unref()
          : undefined;
      // allSettled, not then: a rejection is the connection's to report, and a thenable is enough.
      void Promise.allSettled([result]).then(() => {
        if (this.current !== 'running') return;
        clearTimeout(timer);
        this.current = 'settled';
        resolve('settled');
      });
    });
  }

  get state(): HandlerCallState {
    return this.current;
  }
}
