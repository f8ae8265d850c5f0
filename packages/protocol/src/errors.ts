import { ErrorCode, isErrorCode } from './error-codes.js';

export { ErrorCode, errorCodes, isErrorCode } from './error-codes.js';

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

export class ProxyHeaderError extends SwitchyardError {
  constructor(message: string) {
    super(ErrorCode.PROXY_HEADER, message);
  }
}

export class TlsHandshakeError extends SwitchyardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.TLS_HANDSHAKE, message, options);
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

export class ReusePortUnsupportedError extends SwitchyardError {
  constructor(detail: string) {
    super(ErrorCode.REUSEPORT_UNSUPPORTED, `reusePort cannot share a port here: ${detail}`);
  }
}

export class UsageError extends SwitchyardError {
  constructor(message: string) {
    super(ErrorCode.USAGE, message);
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
  [ErrorCode.PROXY_HEADER]: ProxyHeaderError,
  [ErrorCode.TLS_HANDSHAKE]: TlsHandshakeError,
  [ErrorCode.IDLE_TIMEOUT]: IdleTimeoutError,
  [ErrorCode.MEMORY_BUDGET]: MemoryBudgetError,
  [ErrorCode.SOCKET_ERROR]: SocketError,
  [ErrorCode.CLOSE_TIMEOUT]: CloseTimeoutError,
  [ErrorCode.SERVER_CLOSED]: ServerClosedError,
  [ErrorCode.WORKER_EXITED]: WorkerExitedError,
  [ErrorCode.HANDOFF_UNSUPPORTED]: HandoffUnsupportedError,
  [ErrorCode.REUSEPORT_UNSUPPORTED]: ReusePortUnsupportedError,
  [ErrorCode.USAGE]: UsageError,
};

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
