/**
 * How a case body reports its outcome. These never reach users as exceptions: the runner turns
 * them into {@link CaseResult}s.
 */

/** The target behaved differently from what the case requires; the message says how. */
export class CaseFailure extends Error {
  override readonly name = 'CaseFailure';
}

/**
 * A reply came back wrong (a byte, or a reply the oracle refused), as opposed to a connection
 * that ended or a wait that timed out: the runner adds what it assumed about the handler.
 */
export class WrongReply extends CaseFailure {}

/** The case cannot run here (no IPv6 on this host, ...); the message is the reason. */
export class CaseSkipped extends Error {
  override readonly name = 'CaseSkipped';
}

/** Throws a {@link CaseFailure} unless `condition` holds. */
export function check(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new CaseFailure(typeof message === 'string' ? message : message());
}

/** A connection could not be made (refused, reset during the handshake, timed out). */
export class ConnectFailed extends CaseFailure {}
