import type { LoadResult, LoadSpec } from './load.js';

/** Messages from the bench to a load-generator process. */
export type ToLoadWorker =
  | { readonly type: 'start'; readonly spec: LoadSpec }
  /** How many replies have come back so far: the warm-up watches it settle. */
  | { readonly type: 'count' }
  | { readonly type: 'measure' }
  /** Ends the current window and opens the next, without a drain; answered with a result. */
  | { readonly type: 'window' }
  | { readonly type: 'stop'; readonly drainMs: number };

/** Messages from a load-generator process to the bench. */
export type FromLoadWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'started' }
  | { readonly type: 'count'; readonly completed: number }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly message: string };
