import type { LoadResult, LoadSpec } from './load.js';

/** Messages from the CLI to a load-generator process. */
export type ToLoadWorker =
  | { readonly type: 'start'; readonly spec: LoadSpec }
  | { readonly type: 'measure' }
  | { readonly type: 'stop'; readonly drainMs: number };

/** Messages from a load-generator process to the CLI. */
export type FromLoadWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'started' }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly message: string };
