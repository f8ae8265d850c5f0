import { connect as connectTcp, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';

/** How the bench's clients speak TLS to a server. Plain data: it travels to load generators over IPC. */
export interface DialTls {
  /**
   * The CA certificate (PEM) the server's certificate is checked against: for a self-signed
   * one, the certificate itself. Absent: Node's CAs.
   */
  readonly ca?: string;
  /** Accept any certificate, unchecked (a server whose certificate cannot be checked here). */
  readonly insecure?: boolean;
  /** The name the certificate must hold; default the host dialed (`localhost` for a path). */
  readonly servername?: string;
}

/** Where a server listens and how to speak to it, as every client of the bench dials it. */
export interface DialTarget {
  readonly host: string;
  readonly port: number;
  /** A Unix domain socket's path: dialed instead of `host:port`. */
  readonly path?: string;
  /** Over TLS; absent: plaintext. */
  readonly tls?: DialTls;
}

/**
 * Opens a client connection to `target` (its path, or `host:port` with Nagle off) and names the
 * event after which its requests go out: `connect`, or over TLS `secureConnect`, once the
 * handshake is done (and the certificate checked). A TLS client keeps no session between
 * connections, so every connection is a full handshake: what a churn of new clients costs a
 * server.
 */
export function dial(target: DialTarget): { socket: Socket; ready: 'connect' | 'secureConnect' } {
  const { host, port, path, tls } = target;
  const where = path === undefined ? { host, port } : { path };
  if (tls === undefined)
    return { socket: connectTcp({ ...where, noDelay: true }), ready: 'connect' };
  const { ca, insecure = false, servername } = tls;
  // `tls.connect` takes every `socket.connect` option; Node 20's types omit `noDelay` (which a
  // Unix socket ignores).
  const options: ConnectionOptions & { noDelay: boolean } = {
    ...where,
    noDelay: true,
    rejectUnauthorized: !insecure,
    ...(ca !== undefined && { ca }),
    ...(servername !== undefined && { servername }),
  };
  return { socket: connectTls(options), ready: 'secureConnect' };
}
