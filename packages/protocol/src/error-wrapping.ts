import {
  HandlerFailedError,
  isSwitchyardError,
  MalformedFrameError,
  type SwitchyardError,
} from './errors.js';

/**
 * What a failed handler call is reported as: a `SwitchyardError` it threw stays itself; anything
 * else becomes `SWITCHYARD_ERR_HANDLER_FAILED`, with the thrown value as `cause` and its message
 * in the text (`handler failed: database connection lost`).
 */
export function handlerFailure(error: unknown): SwitchyardError {
  if (isSwitchyardError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new HandlerFailedError(`handler failed: ${reason}`, { cause: error });
}

/**
 * What a decoder's throw is reported as: a `SwitchyardError` (too large, truncated, malformed)
 * stays itself; anything else a user's codec throws becomes `SWITCHYARD_ERR_MALFORMED_FRAME`
 * with the thrown value as `cause`, since the codec could not make sense of the bytes.
 */
export function decoderFailure(error: unknown, codecName: string): SwitchyardError {
  if (isSwitchyardError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new MalformedFrameError(`codec ${codecName} failed: ${reason}`, { cause: error });
}
