import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { expect, test } from 'vitest';
import { throwawayCertificate } from '../src/index.js';
import { checkIdentity } from '../src/tls.js';

/** The certificate as a TLS client sees it on its peer. */
async function peerCertificate(): Promise<PeerCertificate> {
  const { cert } = await throwawayCertificate();
  return new X509Certificate(cert as string).toLegacyObject() as unknown as PeerCertificate;
}

test('the throwaway certificate holds for every loopback name and address, on every Node', async () => {
  const peer = await peerCertificate();
  for (const host of ['localhost', '127.0.0.1', '::1']) {
    expect(checkIdentity(host, peer), host).toBeUndefined();
  }
});

test('a name or an address the certificate does not hold is refused', async () => {
  const peer = await peerCertificate();
  for (const host of ['example.com', '127.0.0.2', '::2']) {
    expect(checkIdentity(host, peer), host).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  }
});
