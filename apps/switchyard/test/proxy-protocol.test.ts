import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { testHandlers } from '@switchyard/conformance';
import { encodeProxyHeader } from '@switchyard/protocol';
import { expect, onTestFinished, test } from 'vitest';
import { serveOptions } from '../src/commands/serve.js';
import { CONFORMANCE_SUMMARY, parseServe, runCli, startServe } from './cli.js';

async function connectTo(served: { host: string; port: number }): Promise<Socket> {
  const socket = connect(served.port, served.host);
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

function readAll(socket: Socket): Promise<string> {
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  return new Promise((resolve) =>
    socket.once('close', () => resolve(Buffer.concat(received).toString())),
  );
}

test('--proxy-protocol is a serve flag taking v1, v2 or any, off by default', () => {
  expect(serveOptions(parseServe(['--proxy-protocol', 'v2'])).options.proxyProtocol).toBe('v2');
  expect(serveOptions(parseServe([])).options.proxyProtocol).toBeUndefined();
  expect(() => parseServe(['--proxy-protocol', 'v3'])).toThrow(
    /--proxy-protocol: expected v1, v2 or any, got "v3"/,
  );
});

test('serve --proxy-protocol hands the handler the client a header names, and refuses a connection without one', async () => {
  const served = await startServe([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--proxy-protocol',
    'any',
    '--handler',
    testHandlers['peer-address'],
  ]);
  const client = { address: '203.0.113.7', port: 56324 };
  const proxied = await connectTo(served);
  const balancerPort = proxied.localPort;
  const reply = readAll(proxied);
  proxied.end(
    Buffer.concat([
      encodeProxyHeader(2, { source: client, destination: { address: '192.0.2.10', port: 7000 } }),
      Buffer.from('whom do you see?\n'),
    ]),
  );
  expect(JSON.parse(await reply)).toEqual({
    remoteAddress: client.address,
    remotePort: client.port,
    proxiedBy: { address: '127.0.0.1', port: balancerPort },
  });

  const direct = await connectTo(served);
  const { localPort } = direct;
  const refused = readAll(direct);
  direct.write('whom do you see?\n');
  expect(await refused).toBe('');
  await served.waitForStderr(
    new RegExp(
      `connection \\d+ 127\\.0\\.0\\.1:${localPort}: SWITCHYARD_ERR_PROXY_HEADER: PROXY protocol header refused: expected a PROXY protocol v1 or v2 header`,
    ),
  );
  expect(await served.stop()).toBe(0);
});

test('conformance --target --proxy-protocol v2 runs the suite through headers against serve --proxy-protocol v2', async () => {
  const served = await startServe([
    '--strategy',
    'selector',
    '--codec',
    'lines',
    '--proxy-protocol',
    'v2',
  ]);
  const run = await runCli([
    'conformance',
    '--target',
    `${served.host}:${served.port}`,
    '--codec',
    'lines',
    '--proxy-protocol',
    'v2',
    '--case',
    'echo.hello,conn.half-close,proxy',
  ]);
  const [, passed, failed, skipped] = CONFORMANCE_SUMMARY.exec(run.stdout) ?? [];
  // proxy.v1 (the target takes v2 only) and proxy.timeout (needs server control) skip.
  expect({ passed, failed, skipped }).toEqual({ passed: '7', failed: '0', skipped: '2' });
  expect(run.code).toBe(0);
  expect(await served.stop()).toBe(0);
});
