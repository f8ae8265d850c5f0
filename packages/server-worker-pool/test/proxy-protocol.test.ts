import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { throwawayCertificate } from '@switchyard/conformance';
import {
  type ConnectionFailure,
  connectTarget,
  ErrorCode,
  encodeProxyHeader,
} from '@switchyard/protocol';
import { describe, expect, onTestFinished, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { Client, cleanup, client, runnableModes, testHandler, until } from './helpers.js';

const proxiedClient = { address: '203.0.113.7', port: 56324 };
const header = encodeProxyHeader(2, {
  source: proxiedClient,
  destination: { address: '192.0.2.10', port: 7000 },
});

describe.each(runnableModes)('%s mode with proxyProtocol', (mode) => {
  test('a connection its worker took down is reported as the client its header named', async () => {
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        proxyProtocol: 'v2',
        handler: testHandler('crash-on-marker'),
      }),
    );
    const failures: ConnectionFailure[] = [];
    server.on('failure', (failure) => failures.push(failure));
    const doomed = await client(server);
    const balancerPort = doomed.socket.localPort;
    doomed.socket.write(Buffer.concat([header, Buffer.from('hello\n')]));
    expect(await doomed.read(6)).toBe('hello\n');

    doomed.socket.write('crash\n');
    await doomed.closed;
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({
      remoteAddress: proxiedClient.address,
      remotePort: proxiedClient.port,
      proxiedBy: { address: '127.0.0.1', port: balancerPort },
      error: { code: ErrorCode.WORKER_EXITED },
    });
  });

  test('over TLS, the header read before the handshake names the client of a connection its worker took down', async () => {
    const tls = await throwawayCertificate();
    const server = cleanup(
      await workerPoolStrategy.listen({
        mode,
        workers: 2,
        codec: 'lines',
        proxyProtocol: 'v2',
        tls,
        handler: testHandler('crash-on-marker'),
      }),
    );
    const failures: ConnectionFailure[] = [];
    server.on('failure', (failure) => failures.push(failure));
    // As a balancer passing TLS through sends it: the header in the clear, then the handshake.
    const tcp = connectTcp(connectTarget(server.address));
    onTestFinished(() => {
      tcp.destroy();
    });
    await once(tcp, 'connect');
    const balancerPort = tcp.localPort;
    tcp.write(header);
    const secure = connectTls({ socket: tcp, ca: tls.cert, host: '127.0.0.1' });
    await once(secure, 'secureConnect');
    const doomed = new Client(secure);
    secure.write('hello\n');
    expect(await doomed.read(6)).toBe('hello\n');

    secure.write('crash\n');
    await doomed.closed;
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({
      remoteAddress: proxiedClient.address,
      remotePort: proxiedClient.port,
      proxiedBy: { address: '127.0.0.1', port: balancerPort },
      error: { code: ErrorCode.WORKER_EXITED },
    });
  });
});
