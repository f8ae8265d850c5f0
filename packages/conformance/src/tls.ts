import { X509Certificate } from 'node:crypto';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { checkServerIdentity, connect as connectTls, type PeerCertificate } from 'node:tls';
import { connectTarget, type Pem, type ServerAddress, type TlsOptions } from '@switchyard/protocol';
import { generate } from 'selfsigned';

/** How the suite's clients speak TLS to a target that serves it. */
export interface ClientTls {
  /** Certificates to trust for the server's (PEM); default Node's bundle. */
  readonly ca?: Pem | readonly Pem[];
  /** Accept any certificate: for tests only, where the server's is throwaway. */
  readonly insecure?: boolean;
  /** The name the certificate must hold; default the target's host when it is a name. */
  readonly servername?: string;
}

/** A key and its certificate, PEM. */
export interface PemPair {
  readonly key: string;
  readonly cert: string;
}

let throwaway: Promise<PemPair> | undefined;
/** Client TLS sockets whose handshake has not finished. */
const handshaking = new WeakSet<Socket>();

/**
 * True while `socket`'s TLS handshake is still to finish: what it writes waits in the TLS socket
 * (a one-at-a-time server shakes hands only at the client's turn), with nothing handed to the
 * kernel yet.
 */
export function handshakePending(socket: Socket): boolean {
  return handshaking.has(socket);
}

/**
 * A self-signed certificate for `localhost`, `127.0.0.1` and `::1`, made once per process with
 * `selfsigned` (in memory, valid a day): what a strategy target serves TLS with when it is asked
 * to (`tls: true`) without a certificate of its own. Its clients trust it as their CA.
 */
export function throwawayCertificate(): Promise<PemPair> {
  throwaway ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 24 * 60 * 60 * 1000),
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  }).then(({ private: key, cert }) => ({ key, cert }));
  return throwaway;
}

/**
 * Node's check of the name a certificate holds, except that an address is compared as an
 * address: Node 22.23's `checkServerIdentity` compares an IPv6 subjectAltName as its text
 * (`0:0:0:0:0:0:0:1`) with the host as given (`::1`), and refuses a certificate that names it.
 */
export function checkIdentity(host: string, cert: PeerCertificate): Error | undefined {
  if (isIP(host) !== 0 && cert.raw !== undefined) {
    if (new X509Certificate(cert.raw).checkIP(host) !== undefined) return undefined;
  }
  return checkServerIdentity(host, cert);
}

/** How clients trust a server that serves `tls`: its own `ca`, or its certificate (self-signed). */
export function trusting(tls: TlsOptions): ClientTls {
  return { ca: tls.ca ?? tls.cert };
}

/** A client's TCP connection to `address` (half-open allowed, as the cases need). */
export function openTcp(address: ServerAddress, noDelay: boolean): Socket {
  return connectTcp({ ...connectTarget(address), allowHalfOpen: true, noDelay });
}

/**
 * A TLS client over `tcp`, connected or still connecting. Bytes written to `tcp` before (a PROXY
 * header) go out first: Node starts the handshake once they are written.
 */
export function startTls(tcp: Socket, address: ServerAddress, tls: ClientTls): Socket {
  const { ca, insecure = false, servername } = tls;
  const socket = connectTls({
    socket: tcp,
    // The name the certificate is checked against (and sent as SNI unless it is an address);
    // `localhost` for a Unix socket.
    ...(address.family !== 'unix' && { host: address.host }),
    ...(ca !== undefined && { ca: ca as string | string[] }),
    rejectUnauthorized: !insecure,
    checkServerIdentity: checkIdentity,
    ...(servername !== undefined && { servername }),
  });
  handshaking.add(socket);
  socket.once('secureConnect', () => handshaking.delete(socket));
  return socket;
}
