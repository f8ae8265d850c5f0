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
  /**
   * With `proxyProtocol` on: a connection's first bytes were not a PROXY protocol header of an
   * accepted version, or it was malformed, too long, cut short by the client's FIN, or not
   * complete within `frameTimeoutMs`. That connection was closed before anything was decoded.
   */
  PROXY_HEADER: 'SWITCHYARD_ERR_PROXY_HEADER',
  /**
   * With `tls` on: a connection's TLS handshake failed (a plaintext client, no shared protocol
   * version or cipher, a bad certificate) or did not finish within `frameTimeoutMs`; it was
   * closed before anything was decoded.
   */
  TLS_HANDSHAKE: 'SWITCHYARD_ERR_TLS_HANDSHAKE',
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
  /**
   * A worker thread or a server's child process crashed or exited; the requests and connections
   * it owned failed.
   */
  WORKER_EXITED: 'SWITCHYARD_ERR_WORKER_EXITED',
  /** `handoff` mode was asked for, but this Node cannot transfer sockets to worker threads. */
  HANDOFF_UNSUPPORTED: 'SWITCHYARD_ERR_HANDOFF_UNSUPPORTED',
  /** `reusePort` was asked for, but this Node or platform cannot share a port between processes. */
  REUSEPORT_UNSUPPORTED: 'SWITCHYARD_ERR_REUSEPORT_UNSUPPORTED',
  /**
   * A command line the `switchyard` CLI does not take: an unknown command or option, a missing
   * argument or option value, too many arguments. Nothing was started.
   */
  USAGE: 'SWITCHYARD_ERR_USAGE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** All codes, in table order. */
export const errorCodes: readonly ErrorCode[] = Object.freeze(Object.values(ErrorCode));

const known: ReadonlySet<string> = new Set(errorCodes);

/** True for the `SWITCHYARD_ERR_*` codes this version knows. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && known.has(code);
}
