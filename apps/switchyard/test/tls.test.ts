import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { throwawayCertificate } from '@switchyard/conformance';
import { expect, onTestFinished, test } from 'vitest';
import { serveOptions } from '../src/commands/serve.js';
import { CONFORMANCE_SUMMARY, parseServe, runCli, startServe } from './cli.js';

/** A throwaway key and certificate in files of a temporary folder, removed after the test. */
async function pemFiles(): Promise<{ key: string; cert: string; certText: string }> {
  const { key, cert } = await throwawayCertificate();
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-tls-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  writeFileSync(join(folder, 'key.pem'), key as string);
  writeFileSync(join(folder, 'cert.pem'), cert as string);
  return { key: join(folder, 'key.pem'), cert: join(folder, 'cert.pem'), certText: cert as string };
}

test('--tls-key and --tls-cert read the files into the tls option; one without the other is refused', async () => {
  const files = await pemFiles();
  const { options } = serveOptions(parseServe(['--tls-key', files.key, '--tls-cert', files.cert]));
  expect(options.tls).toEqual({
    key: expect.stringContaining('PRIVATE KEY'),
    cert: files.certText,
  });
  expect(serveOptions(parseServe([])).options.tls).toBeUndefined();
  expect(() => serveOptions(parseServe(['--tls-key', files.key]))).toThrow(
    /--tls-key: needs --tls-cert/,
  );
  expect(() =>
    serveOptions(parseServe(['--tls-key', join(files.key, 'missing'), '--tls-cert', files.cert])),
  ).toThrow(/--tls-key: cannot read/);
});

test('serve --tls-key --tls-cert serves TLS clients and closes a plaintext one, logging why', async () => {
  const files = await pemFiles();
  const served = await startServe([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--tls-key',
    files.key,
    '--tls-cert',
    files.cert,
  ]);
  const secure = connectTls({ host: served.host, port: served.port, ca: files.certText });
  onTestFinished(() => {
    secure.destroy();
  });
  await once(secure, 'secureConnect');
  secure.write('over TLS\n');
  expect(String((await once(secure, 'data'))[0])).toBe('over TLS\n');
  secure.end();

  const plain = connect(served.port, served.host);
  onTestFinished(() => {
    plain.destroy();
  });
  plain.on('error', () => {});
  await once(plain, 'connect');
  const { localPort } = plain;
  plain.write('in the clear\n');
  await once(plain, 'close');
  await served.waitForStderr(
    new RegExp(
      `connection \\d+ 127\\.0\\.0\\.1:${localPort}: SWITCHYARD_ERR_TLS_HANDSHAKE: TLS handshake failed`,
    ),
  );
  expect(served.stderr()).toMatch(/in TLS; SIGINT or SIGTERM to stop/);
  expect(await served.stop()).toBe(0);
});

test('conformance --target --tls --tls-ca runs the suite over TLS against serve; --strategy --tls makes its own certificate', async () => {
  const files = await pemFiles();
  const served = await startServe([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--tls-key',
    files.key,
    '--tls-cert',
    files.cert,
  ]);
  const run = await runCli([
    'conformance',
    '--target',
    `${served.host}:${served.port}`,
    '--codec',
    'lines',
    '--tls',
    '--tls-ca',
    files.cert,
    '--case',
    'echo.hello,conn.half-close,tls',
  ]);
  const [, passed, failed, skipped] = CONFORMANCE_SUMMARY.exec(run.stdout) ?? [];
  // tls.handshake-timeout needs control of the server.
  expect({ passed, failed, skipped }).toEqual({ passed: '3', failed: '0', skipped: '1' });
  expect(await served.stop()).toBe(0);

  const strategies = await runCli([
    'conformance',
    '--strategy',
    'selector',
    '--tls',
    '--case',
    'tls',
  ]);
  expect(CONFORMANCE_SUMMARY.exec(strategies.stdout)?.slice(1)).toEqual(['2', '0', '0']);
  expect(strategies.stdout).toMatch(/selector over TLS/);
});
