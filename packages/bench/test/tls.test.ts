import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, TLSSocket } from 'node:tls';
import { throwawayCertificate } from '@switchyard/conformance';
import { builtinWorkloads, loadCodec, loadWorkload } from '@switchyard/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DialTls } from '../src/dial.js';
import { LoadRun, type LoadSpec } from '../src/load.js';
import { loadTraffic, makeTraffic } from '../src/traffic.js';
import { fairnessOf, isUnfair } from '../src/verdicts.js';
import { verifyService } from '../src/verify.js';
import { listenForTest } from './servers.js';

/** Long enough for replies already on the wire to arrive; a drain ends early once none is owed. */
const DRAIN_MS = 5000;

/**
 * A TLS echo server on 127.0.0.1 (the throwaway certificate, made in memory for this process),
 * counting what a bench's count must agree with: handshakes completed, and of them the ones that
 * resumed a session, and chunks echoed.
 */
async function tlsEchoServer() {
  const { key, cert } = await throwawayCertificate();
  const counts = { handshakes: 0, resumed: 0, echoed: 0 };
  const server = createServer({ key, cert }, (socket: TLSSocket) => {
    counts.handshakes++;
    if (socket.isSessionReused()) counts.resumed++;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      counts.echoed++;
      socket.write(chunk);
    });
    socket.on('end', () => socket.end());
  });
  // A client refusing the certificate, or speaking plaintext, fails its handshake: not a crash.
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { port, counts, trust: { ca: cert as string } satisfies DialTls };
}

async function loadRun(spec: LoadSpec): Promise<LoadRun> {
  const run = new LoadRun(spec, await loadTraffic(spec));
  onTestFinished(async () => {
    if (run.open) await run.stop(0);
  });
  return run;
}

/** Waits until `condition` holds, checking every few milliseconds; the test's timeout is the failure. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the load over TLS', () => {
  it('churns full handshakes: every connection a new one, the certificate checked, each counted once', async () => {
    const server = await tlsEchoServer();
    const run = await loadRun({
      workload: builtinWorkloads.churn,
      codec: 'raw',
      cell: { size: 64, connections: 2, depth: 1 },
      host: '127.0.0.1',
      port: server.port,
      tls: server.trust,
      pattern: 'churn',
      connections: 2,
      connectionOffset: 0,
      depth: 1,
    });
    await run.start();
    run.measure();
    await until(() => run.completedSoFar >= 30);
    const result = await run.stop(DRAIN_MS);

    expect(result.errorSamples).toEqual([]);
    expect(result.requests).toBeGreaterThan(0);
    const completed = run.completedSoFar;
    // One handshake per connection, none resumed: conn/s is the handshake rate. A loop cut by the
    // stop may have finished a handshake (and even its echo) without its reply being counted.
    expect(server.counts.resumed).toBe(0);
    expect(server.counts.handshakes).toBeGreaterThanOrEqual(completed);
    expect(server.counts.handshakes).toBeLessThanOrEqual(completed + 2);
    expect(server.counts.echoed).toBeGreaterThanOrEqual(completed);
    expect(server.counts.echoed).toBeLessThanOrEqual(completed + 2);
  });

  it('streams requests over TLS, each reply checked and counted once', async () => {
    const server = await tlsEchoServer();
    const run = await loadRun({
      workload: builtinWorkloads.echo,
      codec: 'raw',
      cell: { size: 1024, connections: 2, depth: 1 },
      host: '127.0.0.1',
      port: server.port,
      tls: server.trust,
      pattern: 'stream',
      connections: 2,
      connectionOffset: 0,
      depth: 1,
    });
    await run.start();
    run.measure();
    await until(() => run.completedSoFar >= 200);
    const result = await run.stop(DRAIN_MS);

    expect(result.errorSamples).toEqual([]);
    expect(result.unanswered).toBe(0);
    expect(server.counts.handshakes).toBe(2);
    // Every request the server read was answered and counted (TLS may merge two in one read).
    expect(run.completedSoFar).toBeGreaterThanOrEqual(server.counts.echoed);
    expect(result.bytes).toBe(result.requests * 1024);
  });

  it('starts once TCP is up: clients a server keeps waiting before their handshake are starved, not awaited', async () => {
    const { key, cert } = await throwawayCertificate();
    // Like the blocking strategy: the first client is served, the others wait (their
    // ClientHello unanswered) until it leaves.
    const port = await listenForTest((socket, index) => {
      if (index > 0) return;
      const secure = new TLSSocket(socket, { isServer: true, key, cert });
      secure.on('error', () => {});
      secure.on('data', (chunk: Buffer) => secure.write(chunk));
    });
    const run = await loadRun({
      workload: builtinWorkloads.echo,
      codec: 'raw',
      cell: { size: 1024, connections: 4, depth: 1 },
      host: '127.0.0.1',
      port,
      tls: { ca: cert },
      pattern: 'stream',
      connections: 4,
      connectionOffset: 0,
      depth: 1,
    });
    await run.start();
    run.measure();
    await until(() => run.completedSoFar >= 50);
    const result = await run.stop(200);
    expect(result.perConnection.filter((count) => count > 0)).toHaveLength(1);
    expect(isUnfair(fairnessOf(result.perConnection))).toBe(true);
    expect(result.errorSamples).toEqual([]);
  });
});

describe('reply verification over TLS', () => {
  async function echoTraffic() {
    const workload = await loadWorkload(builtinWorkloads.echo);
    return [makeTraffic(workload, await loadCodec('raw'), { size: 64, connections: 1, depth: 1 })];
  }

  it('passes a TLS server whose certificate the client trusts', async () => {
    const server = await tlsEchoServer();
    const target = { host: '127.0.0.1', port: server.port, tls: server.trust };
    expect(await verifyService(target, await echoTraffic())).toBeUndefined();
    expect(server.counts.handshakes).toBe(1);
  });

  it('fails one whose certificate it does not trust, before a request is sent', async () => {
    const server = await tlsEchoServer();
    // Node's CAs: the throwaway certificate is signed by none of them.
    const target = { host: '127.0.0.1', port: server.port, tls: {} };
    expect(await verifyService(target, await echoTraffic())).toMatch(
      /^connection failed: self[- ]signed certificate/,
    );
    expect(server.counts).toMatchObject({ handshakes: 0, echoed: 0 });
  });
});
