import { describe, expect, test } from 'vitest';
import { resolveServerOptions } from '../src/index.js';

const pem = '-----BEGIN X-----\nAA==\n-----END X-----\n';

function refusal(tls: unknown, extra: object = {}) {
  try {
    resolveServerOptions({ tls, ...extra } as never);
  } catch (error) {
    return error as { code: string; option: string; message: string };
  }
  throw new Error('expected a refusal');
}

describe('the tls server option', () => {
  test('is undefined by default, and kept as given (it must cross to worker threads as it is)', () => {
    expect(resolveServerOptions({}).tls).toBeUndefined();
    const tls = { key: pem, cert: Buffer.from(pem), ca: [pem], minVersion: 'TLSv1.3' } as const;
    expect(resolveServerOptions({ tls }).tls).toBe(tls);
    expect(structuredClone(tls)).toMatchObject({ key: pem, minVersion: 'TLSv1.3' });
  });

  test.each([
    ['a string', 'key.pem', 'tls'],
    ['no key', { cert: pem }, 'tls.key'],
    ['no cert', { key: pem }, 'tls.cert'],
    ['an empty cert list', { key: pem, cert: [] }, 'tls.cert'],
    ['a number as ca', { key: pem, cert: pem, ca: 1 }, 'tls.ca'],
    ['an unknown version', { key: pem, cert: pem, minVersion: 'TLSv9' }, 'tls.minVersion'],
    ['a misspelt key', { key: pem, cert: pem, passphrse: 'x' }, 'tls.passphrse'],
  ])('refuses %s with SWITCHYARD_ERR_INVALID_OPTION naming the field', (_, tls, option) => {
    expect(refusal(tls)).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option });
  });

  test('goes with proxyProtocol: a balancer sends its header before the handshake', () => {
    const options = resolveServerOptions({ tls: { key: pem, cert: pem }, proxyProtocol: 'v2' });
    expect(options).toMatchObject({ tls: { key: pem, cert: pem }, proxyProtocol: 'v2' });
  });
});
