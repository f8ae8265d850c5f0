import { InvalidOptionError } from './errors.js';

/** PEM text, or its bytes (a Buffer arrives in a worker thread as a Uint8Array: both work). */
export type Pem = string | Uint8Array;

/**
 * TLS on every accepted connection (the `tls` server option): what `tls.createSecureContext`
 * takes, kept to plain values so that it crosses to worker threads and child processes as it is
 * (each thread that serves connections makes its own secure context from it once).
 */
export interface TlsOptions {
  /** The server's private key(s), PEM. */
  readonly key: Pem | readonly Pem[];
  /** The server's certificate chain(s), PEM. */
  readonly cert: Pem | readonly Pem[];
  /** Certificates to trust instead of Node's bundle (for client certificates). */
  readonly ca?: Pem | readonly Pem[];
  /** Decrypts an encrypted `key`. */
  readonly passphrase?: string;
  /** Lowest protocol version accepted. Default Node's (`TLSv1.2`). */
  readonly minVersion?: TlsVersion;
  /** Highest protocol version accepted. Default Node's (`TLSv1.3`). */
  readonly maxVersion?: TlsVersion;
  /** OpenSSL cipher list (TLSv1.2 and below). Default Node's. */
  readonly ciphers?: string;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export const tlsVersions: readonly TlsVersion[] = Object.freeze([
  'TLSv1',
  'TLSv1.1',
  'TLSv1.2',
  'TLSv1.3',
]);

const tlsKeys = ['key', 'cert', 'ca', 'passphrase', 'minVersion', 'maxVersion', 'ciphers'];

function isPem(value: unknown): value is Pem {
  return (typeof value === 'string' && value !== '') || value instanceof Uint8Array;
}

function pems(name: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every(isPem)) {
    throw new InvalidOptionError(
      `tls.${name}`,
      'expected PEM text or bytes (a string, Buffer or Uint8Array), or a list of them',
    );
  }
}

/**
 * Checks the shape of the `tls` option; whether the key and certificate parse and match is the
 * server's to find out when it makes the secure context (also `SWITCHYARD_ERR_INVALID_OPTION`).
 */
export function tlsOptions(value: unknown): TlsOptions | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError('tls', 'expected an object with key and cert');
  }
  for (const key of Object.keys(value)) {
    if (!tlsKeys.includes(key)) {
      throw new InvalidOptionError(`tls.${key}`, `not a TLS option (known: ${tlsKeys.join(', ')})`);
    }
  }
  const tls = value as Record<string, unknown>;
  pems('key', tls.key, true);
  pems('cert', tls.cert, true);
  pems('ca', tls.ca, false);
  for (const name of ['passphrase', 'ciphers']) {
    if (tls[name] !== undefined && typeof tls[name] !== 'string') {
      throw new InvalidOptionError(`tls.${name}`, 'expected a string');
    }
  }
  for (const name of ['minVersion', 'maxVersion']) {
    if (tls[name] !== undefined && !tlsVersions.includes(tls[name] as TlsVersion)) {
      throw new InvalidOptionError(
        `tls.${name}`,
        `expected one of ${tlsVersions.join(', ')}, got ${String(tls[name])}`,
      );
    }
  }
  return value as TlsOptions;
}
