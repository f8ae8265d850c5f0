import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throwawayCertificate } from '@switchyard/conformance';
import type { BenchTls } from './bench-contenders.js';

/** A certificate made for one bench run, in files until `remove()`. */
export interface ThrowawayBenchTls extends BenchTls {
  /** Deletes its folder (the key with it). */
  remove(): void;
}

/**
 * What `bench --tls` serves: a certificate made for the run (the conformance suite's throwaway:
 * RSA 2048, self-signed for `localhost`, `127.0.0.1` and `::1`, made in memory with
 * `selfsigned`), written to a private temporary folder for `serve --tls-key --tls-cert`. The
 * bench's clients trust it as its own CA, so they check it as they would a real one.
 */
export async function throwawayBenchTls(): Promise<ThrowawayBenchTls> {
  const { key, cert } = await throwawayCertificate();
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-bench-tls-'));
  const keyFile = join(folder, 'key.pem');
  const certFile = join(folder, 'cert.pem');
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return {
    keyFile,
    certFile,
    client: { ca: cert },
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}
