/**
 * Every error Switchyard raises is a {@link SwitchyardError} with a stable `code`.
 * Match on `code`, never on the message: messages may change, codes do not.
 * The table of codes lives in this package's README (a test keeps the two in step).
 */
export const ErrorCode = {
  /** A frame (or a length-prefixed header's declared length) exceeds `maxFrameBytes`. */
  FRAME_TOO_LARGE: 'SWITCHYARD_ERR_FRAME_TOO_LARGE',
  /** The stream ended with a partial frame buffered. */
  TRUNCATED_FRAME: 'SWITCHYARD_ERR_TRUNCATED_FRAME',
  /** Bytes that break the codec's grammar (a netstring length that is not digits, say). */
  MALFORMED_FRAME: 'SWITCHYARD_ERR_MALFORMED_FRAME',
  /** A frame that had started did not complete within `frameTimeoutMs` (a slow or stalled sender). */
  FRAME_TIMEOUT: 'SWITCHYARD_ERR_FRAME_TIMEOUT',
  /** A handler threw, rejected, or returned something that is not bytes. */
  HANDLER_FAILED: 'SWITCHYARD_ERR_HANDLER_FAILED',
  /** A handler call did not settle within `handlerTimeoutMs`; its connection was closed. */
  HANDLER_TIMEOUT: 'SWITCHYARD_ERR_HANDLER_TIMEOUT',
  /** A handler module could not be resolved, or threw while loading. */
  HANDLER_NOT_FOUND: 'SWITCHYARD_ERR_HANDLER_NOT_FOUND',
  /** A handler module loaded but its default export is not a handler. */
  HANDLER_INVALID: 'SWITCHYARD_ERR_HANDLER_INVALID',
  /** A handler's `setup` threw or rejected; the server did not start. */
  HANDLER_SETUP_FAILED: 'SWITCHYARD_ERR_HANDLER_SETUP_FAILED',
  /** A codec module could not be resolved, or threw while loading. */
  CODEC_NOT_FOUND: 'SWITCHYARD_ERR_CODEC_NOT_FOUND',
  /** A codec (a module's default export, or an object given) does not implement `Codec`. */
  CODEC_INVALID: 'SWITCHYARD_ERR_CODEC_INVALID',
  /** A workload module could not be resolved, or threw while loading. */
  WORKLOAD_NOT_FOUND: 'SWITCHYARD_ERR_WORKLOAD_NOT_FOUND',
  /** A workload (a module's default export, or an object given) does not implement `Workload`. */
  WORKLOAD_INVALID: 'SWITCHYARD_ERR_WORKLOAD_INVALID',
  /** A codec name is not one of the built-in codecs. */
  UNKNOWN_CODEC: 'SWITCHYARD_ERR_UNKNOWN_CODEC',
  /** A strategy name is not registered. */
  UNKNOWN_STRATEGY: 'SWITCHYARD_ERR_UNKNOWN_STRATEGY',
  /** An option is out of range, of the wrong type, or not an option at all (a misspelt key). */
  INVALID_OPTION: 'SWITCHYARD_ERR_INVALID_OPTION',
  /** The server could not listen (address in use, permission, bad host). */
  LISTEN_FAILED: 'SWITCHYARD_ERR_LISTEN_FAILED',
  /** A connection was refused because `maxConnections` (or a wait queue limit) was reached. */
  CONNECTION_REFUSED: 'SWITCHYARD_ERR_CONNECTION_REFUSED',
  /**
   * A client closed or reset its connection while it waited its turn (accepted, never served);
   * it was dropped unserved and none of its requests reached the handler.
   */
  CLIENT_LEFT: 'SWITCHYARD_ERR_CLIENT_LEFT',
  /** A connection was closed because it stayed idle longer than `idleTimeoutMs`. */
  IDLE_TIMEOUT: 'SWITCHYARD_ERR_IDLE_TIMEOUT',
  /**
   * A connection was closed because the server's memory budget (`maxServerBufferedBytes`) ran
   * out and it held the most: one greedy client, not the process, pays.
   */
  MEMORY_BUDGET: 'SWITCHYARD_ERR_MEMORY_BUDGET',
  /** A socket error (reset, broken pipe) ended a connection. */
  SOCKET_ERROR: 'SWITCHYARD_ERR_SOCKET_ERROR',
  /** `close({ timeoutMs })` ran out of time; the remaining connections were destroyed. */
  CLOSE_TIMEOUT: 'SWITCHYARD_ERR_CLOSE_TIMEOUT',
  /** The operation needs a running server, but it is closing or closed. */
  SERVER_CLOSED: 'SWITCHYARD_ERR_SERVER_CLOSED',
  /** A worker thread crashed or exited; the requests and connections it owned failed. */
  WORKER_EXITED: 'SWITCHYARD_ERR_WORKER_EXITED',
  /** `handoff` mode was asked for, but this Node cannot transfer sockets to worker threads. */
  HANDOFF_UNSUPPORTED: 'SWITCHYARD_ERR_HANDOFF_UNSUPPORTED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** All codes, in table order. */
export const errorCodes: readonly ErrorCode[] = Object.freeze(Object.values(ErrorCode));

/** Base class of every Switchyard error. */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * True when `error` is a {@link SwitchyardError} (optionally with the given code). An `Error` with
 * a known `SWITCHYARD_ERR_*` code counts too: a codec or handler package may bring its own copy
 * of this package, whose classes are not ours, and its `TruncatedFrameError` is still one.
 */
export function isSwitchyardError(error: unknown, code?: ErrorCode): error is SwitchyardError {
  const known =
    error instanceof SwitchyardError ||
    (error instanceof Error && isErrorCode((error as { code?: unknown }).code));
  return known && (code === undefined || (error as SwitchyardError).code === code);
}

export class FrameTooLargeError extends SwitchyardError {
  constructor(
    readonly frameBytes: number,
    readonly maxFrameBytes: number,
  ) {
    super(
      ErrorCode.FRAME_TOO_LARGE,
      `frame of ${frameBytes} bytes exceeds the limit of ${maxFrameBytes} bytes`,
    );
  }
}

export class TruncatedFrameError extends SwitchyardError {
  constructor(readonly bufferedBytes: number) {
    super(
      ErrorCode.TRUNCATED_FRAME,
      `stream ended with ${bufferedBytes} bytes of an incomplete frame`,
    );
  }
}

export class MalformedFrameError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.MALFORMED_FRAME, message, options);
  }
}

export class HandlerFailedError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.HANDLER_FAILED, message, options);
  }
}

export class FrameTimeoutError extends SwitchyardError {
  constructor(readonly frameTimeoutMs: number) {
    super(
      ErrorCode.FRAME_TIMEOUT,
      `a frame started but did not complete within ${frameTimeoutMs} ms`,
    );
  }
}

export class HandlerTimeoutError extends SwitchyardError {
  constructor(readonly handlerTimeoutMs: number) {
    super(ErrorCode.HANDLER_TIMEOUT, `handler did not settle within ${handlerTimeoutMs} ms`);
  }
}

export class HandlerNotFoundError extends SwitchyardError {
  constructor(
    readonly specifier: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(
      ErrorCode.HANDLER_NOT_FOUND,
      `handler module not found or failed to load: ${specifier}${reason}`,
      options,
    );
  }
}

export class HandlerInvalidError extends SwitchyardError {
  constructor(
    readonly specifier: string,
    detail = 'has no default export that is a function or an object with a handle() method',
  ) {
    super(ErrorCode.HANDLER_INVALID, `handler ${specifier} ${detail}`);
  }
}

export class HandlerSetupFailedError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.HANDLER_SETUP_FAILED, message, options);
  }
}

export class CodecNotFoundError extends SwitchyardError {
  constructor(
    readonly specifier: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(
      ErrorCode.CODEC_NOT_FOUND,
      `codec module not found or failed to load: ${specifier}${reason}; built-in codecs are raw, lines, length-prefixed`,
      options,
    );
  }
}

export class CodecInvalidError extends SwitchyardError {
  constructor(
    readonly specifier: string,
    detail: string,
  ) {
    super(ErrorCode.CODEC_INVALID, `codec ${specifier} is not a Codec: ${detail}`);
  }
}

export class WorkloadNotFoundError extends SwitchyardError {
  constructor(
    readonly specifier: string,
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(
      ErrorCode.WORKLOAD_NOT_FOUND,
      `workload module not found or failed to load: ${specifier}${reason}; built-in workloads are echo, burn, bulk, churn`,
      options,
    );
  }
}

export class WorkloadInvalidError extends SwitchyardError {
  constructor(
    readonly specifier: string,
    detail: string,
  ) {
    super(ErrorCode.WORKLOAD_INVALID, `workload ${specifier} is not a Workload: ${detail}`);
  }
}

export class UnknownCodecError extends SwitchyardError {
  constructor(readonly codec: string) {
    super(ErrorCode.UNKNOWN_CODEC, `unknown codec "${codec}" (known: raw, lines, length-prefixed)`);
  }
}

export class UnknownStrategyError extends SwitchyardError {
  constructor(
    readonly strategy: string,
    readonly known: readonly string[],
  ) {
    super(
      ErrorCode.UNKNOWN_STRATEGY,
      `unknown strategy "${strategy}" (known: ${known.join(', ') || 'none'})`,
    );
  }
}

export class InvalidOptionError extends SwitchyardError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(ErrorCode.INVALID_OPTION, `invalid option ${option}: ${message}`);
  }
}

export class ListenFailedError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.LISTEN_FAILED, message, options);
  }
}

export class ConnectionRefusedError extends SwitchyardError {
  constructor(message: string) {
    super(ErrorCode.CONNECTION_REFUSED, message);
  }
}

export class ClientLeftError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.CLIENT_LEFT, message, options);
  }
}

export class IdleTimeoutError extends SwitchyardError {
  constructor(readonly idleTimeoutMs: number) {
    super(ErrorCode.IDLE_TIMEOUT, `connection idle for more than ${idleTimeoutMs} ms`);
  }
}

export class MemoryBudgetError extends SwitchyardError {
  constructor(
    readonly heldBytes: number,
    readonly budgetBytes: number,
  ) {
    super(
      ErrorCode.MEMORY_BUDGET,
      `closed to keep the server within its memory budget of ${budgetBytes} bytes: this connection held the most (${heldBytes} bytes)`,
    );
  }
}

export class SocketError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.SOCKET_ERROR, message, options);
  }
}

export class CloseTimeoutError extends SwitchyardError {
  constructor(readonly timeoutMs: number) {
    super(
      ErrorCode.CLOSE_TIMEOUT,
      `graceful close did not finish within ${timeoutMs} ms; remaining connections destroyed`,
    );
  }
}

export class ServerClosedError extends SwitchyardError {
  constructor(message = 'server is closing or closed') {
    super(ErrorCode.SERVER_CLOSED, message);
  }
}

export class WorkerExitedError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.WORKER_EXITED, message, options);
  }
}

export class HandoffUnsupportedError extends SwitchyardError {
  constructor(detail: string) {
    super(
      ErrorCode.HANDOFF_UNSUPPORTED,
      `handoff mode needs a Node that can transfer net.Socket to worker threads (${detail})`,
    );
  }
}

type SwitchyardErrorClass = abstract new (...args: never[]) => SwitchyardError;

/** The class of each code, so an error rebuilt from its code is an instance of the same class. */
const errorClasses: Readonly<Record<ErrorCode, SwitchyardErrorClass>> = {
  [ErrorCode.FRAME_TOO_LARGE]: FrameTooLargeError,
  [ErrorCode.TRUNCATED_FRAME]: TruncatedFrameError,
  [ErrorCode.MALFORMED_FRAME]: MalformedFrameError,
  [ErrorCode.FRAME_TIMEOUT]: FrameTimeoutError,
  [ErrorCode.HANDLER_FAILED]: HandlerFailedError,
  [ErrorCode.HANDLER_TIMEOUT]: HandlerTimeoutError,
  [ErrorCode.HANDLER_NOT_FOUND]: HandlerNotFoundError,
  [ErrorCode.HANDLER_INVALID]: HandlerInvalidError,
  [ErrorCode.HANDLER_SETUP_FAILED]: HandlerSetupFailedError,
  [ErrorCode.CODEC_NOT_FOUND]: CodecNotFoundError,
  [ErrorCode.CODEC_INVALID]: CodecInvalidError,
  [ErrorCode.WORKLOAD_NOT_FOUND]: WorkloadNotFoundError,
  [ErrorCode.WORKLOAD_INVALID]: WorkloadInvalidError,
  [ErrorCode.UNKNOWN_CODEC]: UnknownCodecError,
  [ErrorCode.UNKNOWN_STRATEGY]: UnknownStrategyError,
  [ErrorCode.INVALID_OPTION]: InvalidOptionError,
  [ErrorCode.LISTEN_FAILED]: ListenFailedError,
  [ErrorCode.CONNECTION_REFUSED]: ConnectionRefusedError,
  [ErrorCode.CLIENT_LEFT]: ClientLeftError,
  [ErrorCode.IDLE_TIMEOUT]: IdleTimeoutError,
  [ErrorCode.MEMORY_BUDGET]: MemoryBudgetError,
  [ErrorCode.SOCKET_ERROR]: SocketError,
  [ErrorCode.CLOSE_TIMEOUT]: CloseTimeoutError,
  [ErrorCode.SERVER_CLOSED]: ServerClosedError,
  [ErrorCode.WORKER_EXITED]: WorkerExitedError,
  [ErrorCode.HANDOFF_UNSUPPORTED]: HandoffUnsupportedError,
};

/** True for the `SWITCHYARD_ERR_*` codes this version knows. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorClasses, code);
}

/**
 * The error a code stands for, as an instance of its own class (`FrameTooLargeError` for
 * `SWITCHYARD_ERR_FRAME_TOO_LARGE`) carrying `message` as given: for errors rebuilt on the other
 * side of a thread or process boundary, where only the code and the text travelled. Fields that
 * a class's constructor would compute (`frameBytes`, ...) are copied from `details`.
 */
export function errorFromCode(
  code: ErrorCode,
  message: string,
  options?: { cause?: unknown; details?: Readonly<Record<string, unknown>> },
): SwitchyardError {
  // Runs the base constructor with the subclass as `new.target`: the prototype (so `instanceof`
  // and `name`) is the subclass's, the message is the original, whatever its constructor takes.
  const error = Reflect.construct(
    SwitchyardError,
    [code, message, options?.cause === undefined ? undefined : { cause: options.cause }],
    errorClasses[code],
  ) as SwitchyardError;
  if (options?.details) Object.assign(error, options.details);
  return error;
}

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
