import { errorFromCode, isErrorCode } from './errors.js';

/** An error as it crosses a thread or process boundary: plain data, structured-cloneable. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** The `SWITCHYARD_ERR_*` code of a {@link SwitchyardError}. */
  readonly code?: string;
  /** The error's own fields with primitive values (`frameBytes`, `specifier`, ...). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  readonly cause?: SerializedError;
}

/** Nesting kept for `cause` chains; deeper causes are dropped. */
const MAX_CAUSE_DEPTH = 4;

/** Turns anything thrown into {@link SerializedError}, keeping code, message and cause chain. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const details: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'code' || key === 'cause') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      details[key] = value;
    }
  }
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' && { code }),
    ...(Object.keys(details).length > 0 && { details }),
    ...(error.cause !== undefined &&
      depth < MAX_CAUSE_DEPTH && { cause: serializeError(error.cause, depth + 1) }),
  };
}

/**
 * Rebuilds a {@link serializeError} result: a `SwitchyardError` subclass for a known code (see
 * {@link errorFromCode}), otherwise a plain `Error` with the original name, message and code.
 */
export function deserializeError(serialized: SerializedError): Error {
  const cause = serialized.cause && deserializeError(serialized.cause);
  if (isErrorCode(serialized.code)) {
    return errorFromCode(serialized.code, serialized.message, {
      cause,
      ...(serialized.details && { details: serialized.details }),
    });
  }
  const error = new Error(serialized.message, cause === undefined ? undefined : { cause });
  if (serialized.name !== 'Error') {
    Object.defineProperty(error, 'name', { value: serialized.name, configurable: true });
  }
  if (serialized.code !== undefined) Object.assign(error, { code: serialized.code });
  return error;
}
