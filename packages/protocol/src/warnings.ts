import type { SwitchyardError } from './errors.js';

/**
 * What a {@link ServerWarning} tells of:
 * - `worker-exited`: a worker thread crashed, exited or was stopped (a handler call past
 *   `handlerTimeoutMs` that held its thread), or a child process of a multi-process server
 *   died; the warning says why, what it cost, and whether it was replaced.
 * - `connection-throttled`: a connection held more than its share of a shared queue and was
 *   paused alone (told once per connection, not per request).
 */
export type ServerWarningKind = 'worker-exited' | 'connection-throttled';

/**
 * Something an operator should hear of that is not one connection's failure: it ended no
 * connection by itself, or it cost several. Told once, when it happens.
 */
export interface ServerWarning {
  readonly kind: ServerWarningKind;
  /** One line, whole: what happened and what it cost. */
  readonly message: string;
  /** Why, with its `cause` chain and stack where there is one (a worker's crash). */
  readonly error?: SwitchyardError;
  /** The connection it concerns, if one. */
  readonly connectionId?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}
