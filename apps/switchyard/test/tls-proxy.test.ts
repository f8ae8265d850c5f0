import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throwawayCertificate } from '@switchyard/conformance';
import { expect, onTestFinished, test } from 'vitest';
import { serveOptions } from '../src/commands/serve.js';
import { CONFORMANCE_SUMMARY, parseServe, runCli, startServe } from './cli.js';

// A backend behind a balancer that passes TLS through: the PROXY header in the clear, then TLS.

async function pemFiles(): Promise<{ key: string; cert: string }> {
  const { key, cert } = await throwawayCertificate();
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-tls-proxy-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  writeFileSync(join(folder, 'key.pem'), key);
  writeFileSync(join(folder, 'cert.pem'), cert);
  return { key: join(folder, 'key.pem'), cert: join(folder, 'cert.pem') };
}

test('serve takes --tls-key and --tls-cert with --proxy-protocol; conformance --target checks it through headers and TLS', async () => {
  const files = await pemFiles();
  const flags = ['--tls-key', files.key, '--tls-cert', files.cert, '--proxy-protocol', 'v2'];
  expect(serveOptions(parseServe(flags)).options).toMatchObject({
    proxyProtocol: 'v2',
    tls: { cert: expect.stringContaining('CERTIFICATE') },
  });
  const served = await startServe(['--strategy', 'selector', '--codec', 'lines', ...flags]);
  const run = await runCli([
    'conformance',
    '--target',
    `${served.host}:${served.port}`,
    '--codec',
    'lines',
    '--tls',
    '--tls-ca',
    files.cert,
    '--proxy-protocol',
    'v2',
    '--case',
    'echo.hello,proxy.v2,proxy.v2-local,proxy.garbage,tls.plaintext-refused',
  ]);
  expect(CONFORMANCE_SUMMARY.exec(run.stdout)?.slice(1), run.stdout).toEqual(['5', '0', '0']);
  expect(await served.stop()).toBe(0);
});

test('conformance --strategy --tls --proxy-protocol runs every case through a header, then TLS', async () => {
  const run = await runCli([
    'conformance',
    '--strategy',
    'selector',
    '--tls',
    '--proxy-protocol',
    'v2',
    '--case',
    'echo.hello,stats.counters,proxy,tls',
  ]);
  // proxy.v1 runs too: a strategy's proxy.* cases start servers taking what they send.
  expect(CONFORMANCE_SUMMARY.exec(run.stdout)?.slice(1), run.stdout).toEqual(['11', '0', '0']);
  expect(run.code).toBe(0);
});
