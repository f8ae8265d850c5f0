import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import {
  InvalidOptionError,
  type ResolvedServerOptions,
  SocketError,
  SwitchyardError,
  TlsHandshakeError,
  type TlsOptions,
} from '@switchyard/protocol';

/** One secure context per `tls` object per thread: a worker thread gets its own clone once. */
const contexts = new WeakMap<TlsOptions, SecureContext>();
/** TLS sockets whose handshake has not finished: a failure there is the handshake's. */
const handshaking = new WeakSet<Socket>();

/**
 * The secure context for `tls`, made on first use. Throws `SWITCHYARD_ERR_INVALID_OPTION` when
 * the key or certificate does not parse, or the two do not match.
 */
export function secureContextFor(tls: TlsOptions): SecureContext {
  let context = contexts.get(tls);
  if (context === undefined) {
    try {
      // Node takes any ArrayBufferView where its types say Buffer; the lists are read only.
      context = createSecureContext(tls as Parameters<typeof createSecureContext>[0]);
    } catch (error) {
      throw new InvalidOptionError('tls', (error as Error).message);
    }
    contexts.set(tls, context);
  }
  return context;
}

/**
 * What a connection reads and writes: the accepted socket itself, or with `tls` on, a TLS server
 * socket over it. Bytes the accepted socket has already read (a waiting client's read-ahead put
 * back with `unshift`) are the handshake's first bytes: Node feeds them to the TLS layer before
 * reading on. The handshake must finish within `frameTimeoutMs` (it is the connection's first
 * frame, in effect), or the connection is closed (`SWITCHYARD_ERR_TLS_HANDSHAKE`); nothing
 * reaches the codec before it has.
 */
export function secureTransport(socket: Socket, options: ResolvedServerOptions): Socket {
  if (options.tls === undefined) return socket;
  const secure = new TLSSocket(socket, {
    isServer: true,
    secureContext: secureContextFor(options.tls),
  });
  handshaking.add(secure);
  const { frameTimeoutMs } = options;
  const deadline =
    frameTimeoutMs > 0
      ? setTimeout(() => {
          secure.destroy(
            new TlsHandshakeError(
              `TLS handshake not finished within ${frameTimeoutMs} ms (frameTimeoutMs)`,
            ),
          );
        }, frameTimeoutMs).unref()
      : undefined;
  const settled = () => {
    handshaking.delete(secure);
    clearTimeout(deadline);
  };
  secure.once('secure', settled).once('close', settled);
  return secure;
}

/** What an `error` on a connection's socket means: a failed handshake, or a socket error. */
export function socketFailure(socket: Socket, error: Error): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  if (handshaking.has(socket)) {
    return new TlsHandshakeError(`TLS handshake failed: ${error.message.trim()}`, { cause: error });
  }
  return new SocketError(`socket error: ${error.message}`, { cause: error });
}
