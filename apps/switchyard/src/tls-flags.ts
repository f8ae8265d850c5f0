import { readFileSync } from 'node:fs';
import type { ClientTls } from '@switchyard/conformance';
import { InvalidOptionError, type TlsOptions } from '@switchyard/protocol';
import { Option } from 'commander';

/** `serve --tls-key FILE --tls-cert FILE`: the flags, as commander parses them. */
export interface ServeTlsFlags {
  tlsKey?: string;
  tlsCert?: string;
}

/** `conformance --tls [--tls-ca FILE | --tls-insecure]`. */
export interface ConformanceTlsFlags {
  tls?: boolean;
  tlsCa?: string;
  tlsInsecure?: boolean;
}

export function serveTlsOptions(): Option[] {
  return [
    new Option(
      '--tls-key <file>',
      'serve TLS with this private key (PEM; with --tls-cert). A client whose handshake fails or is not done within --frame-timeout-ms (a plaintext client) is closed (SWITCHYARD_ERR_TLS_HANDSHAKE)',
    ),
    new Option('--tls-cert <file>', 'the certificate chain for --tls-key (PEM)'),
  ];
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(flag, `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** The `tls` server option the flags ask for, read from their files; none without them. */
export function serverTls({ tlsKey, tlsCert }: ServeTlsFlags): TlsOptions | undefined {
  if (tlsKey === undefined && tlsCert === undefined) return undefined;
  if (tlsKey === undefined) throw new InvalidOptionError('--tls-cert', 'needs --tls-key');
  if (tlsCert === undefined) throw new InvalidOptionError('--tls-key', 'needs --tls-cert');
  return { key: readPem('--tls-key', tlsKey), cert: readPem('--tls-cert', tlsCert) };
}

export function conformanceTlsOptions(): Option[] {
  return [
    new Option(
      '--tls',
      "speak TLS: with --target, to a server that serves it (trusting --tls-ca, or Node's CAs); with strategies, every server serves it with a throwaway certificate made for the run. The tls.* cases run",
    ),
    new Option('--tls-ca <file>', 'with --target --tls: trust this CA certificate (PEM)'),
    new Option(
      '--tls-insecure',
      'with --target --tls: accept any certificate (for a test server with a throwaway one)',
    ).conflicts('tlsCa'),
  ];
}

/** How the suite's clients speak TLS to a `--target`; none without `--tls`. */
export function targetTls({ tls, tlsCa, tlsInsecure }: ConformanceTlsFlags): ClientTls | undefined {
  if (!tls) {
    if (tlsCa !== undefined || tlsInsecure)
      throw new InvalidOptionError(
        tlsCa !== undefined ? '--tls-ca' : '--tls-insecure',
        'needs --tls',
      );
    return undefined;
  }
  if (tlsInsecure) return { insecure: true };
  return tlsCa === undefined ? {} : { ca: readPem('--tls-ca', tlsCa) };
}
