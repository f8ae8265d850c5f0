import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContender } from '@switchyard/bench';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  dribble,
  flood,
  garbage,
  neverRead,
  oversized,
  partial,
  reset,
  slowloris,
} from '../src/attacks/index.js';
import { type ChaosOptions, type ChaosReport, chaos } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/echo-server.mjs', import.meta.url));

/** Short phases and small attacks: these runs check verdicts, never speed. */
const SHORT: Partial<ChaosOptions> = {
  durationMs: 300,
  warmupMs: 100,
  drainMs: 2000,
  maxFrameBytes: 256 * 1024,
};

/** The fixture echo server as a server chaos starts (and samples). */
function echoFixture(...args: string[]): BenchContender {
  return {
    name: 'echo-fixture',
    kind: 'external',
    readiness: 'stdout',
    command: () => ({ command: process.execPath, args: [FIXTURE, ...args] }),
  };
}

/** A server in this process on 127.0.0.1:0, closed with every socket when the test ends. */
async function inProcess(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const statuses = (report: ChaosReport) =>
  Object.fromEntries(report.verdicts.map((verdict) => [verdict.invariant, verdict.status]));

describe('chaos against small servers', () => {
  it('passes every invariant on a correct echo server, through every attack', async () => {
    const report = await chaos({
      ...SHORT,
      server: echoFixture(),
      attacks: [
        slowloris({ connections: 4, intervalMs: 50 }),
        dribble({ connections: 4, bytesPerConnection: 64 * 1024 }),
        partial({ connections: 2 }),
        neverRead({ connections: 2, bytesPerConnection: 1024 * 1024 }),
        oversized({ connections: 2 }),
        garbage({ connections: 2, rounds: 20 }),
        reset({ connections: 2, rounds: 40 }),
        flood({ concurrency: 8, connections: 200 }),
      ],
    });
    expect(report.error).toBeUndefined();
    expect(statuses(report)).toEqual({
      intact: 'pass',
      serving: 'pass',
      resources: 'pass',
      'under-attack': 'pass',
    });
    expect(report.passed).toBe(true);
    expect(report.phases.map((phase) => phase.name)).toEqual([
      'warm-up',
      'baseline',
      'slowloris',
      'dribble',
      'partial',
      'never-read',
      'oversized',
      'garbage',
      'reset',
      'flood',
      'settle',
    ]);
    for (const phase of report.phases) {
      expect(phase.good.requests, phase.name).toBeGreaterThan(0);
      if (phase.kind !== 'warmup') expect(phase.resources!.rssBytes.peak).toBeGreaterThan(0);
      if (phase.kind === 'attack') expect(phase.attack!.connections, phase.name).toBeGreaterThan(0);
    }
    expect(report.resources!.fds.start).toBeGreaterThan(0);
  }, 60_000);

  it('breaks "intact" on a server that corrupts one byte of one reply, and nothing else', async () => {
    let large = 0;
    const port = await inProcess((socket) =>
      socket.on('data', (chunk: Buffer) => {
        // The 100th read that carries a good request (1 KiB) goes back with one byte flipped.
        if (chunk.length >= 1024 && ++large === 100) chunk[chunk.length - 1]! ^= 0xff;
        socket.write(chunk);
      }),
    );
    const report = await chaos({
      ...SHORT,
      target: { host: '127.0.0.1', port },
      attacks: [garbage({ connections: 2, rounds: 10 })],
    });
    expect(statuses(report)).toEqual({
      intact: 'fail',
      serving: 'pass',
      resources: 'not measured',
      'under-attack': 'pass',
    });
    expect(report.passed).toBe(false);
    const wrong = report.phases.reduce((total, phase) => total + phase.good.wrongBytes, 0);
    expect(wrong).toBe(1024);
  }, 60_000);

  it('breaks "resources" on a server whose memory grows with every connection', async () => {
    const report = await chaos({
      ...SHORT,
      // Long enough for a loaded machine to open 33 of the flood's connections, which is past
      // the 512 MiB bound; the fixture keeps no more than 48 (768 MiB).
      durationMs: 1500,
      // Kept memory never comes back: no use waiting long for it.
      memorySettleMs: 500,
      server: echoFixture('--leak-per-connection', String(16 * 1024 * 1024)),
      attacks: [flood({ concurrency: 8, connections: 100 })],
    });
    // Whether the good clients kept their share while the fixture fills 768 MiB is the machine's
    // business here; the other invariants' tests judge that.
    const { 'under-attack': _, ...judged } = statuses(report);
    expect(judged).toEqual({ intact: 'pass', serving: 'pass', resources: 'fail' });
    const { rssBytes } = report.resources!;
    expect(rssBytes.peak - rssBytes.start).toBeGreaterThan(512 * 1024 * 1024);
  }, 60_000);

  it('breaks "served under attack" on a server that stops serving everyone while attacked', async () => {
    // Answers nobody while it holds more connections than the good clients' four: replies wait
    // in line until the attackers have gone (it still reads, so it sees them go).
    const held = new Map<Socket, Buffer[]>();
    const stalled = () => held.size > 4;
    const flush = () => {
      if (stalled()) return;
      for (const [socket, replies] of held) socket.write(Buffer.concat(replies.splice(0)));
    };
    const port = await inProcess((socket) => {
      held.set(socket, []);
      socket.on('data', (chunk: Buffer) => {
        if (stalled()) held.get(socket)!.push(chunk);
        else socket.write(chunk);
      });
      socket.on('close', () => {
        held.delete(socket);
        flush();
      });
    });
    const report = await chaos({
      ...SHORT,
      target: { host: '127.0.0.1', port },
      connections: 4,
      attacks: [slowloris({ connections: 2, intervalMs: 50 })],
    });
    expect(statuses(report)).toEqual({
      intact: 'pass',
      serving: 'pass',
      resources: 'not measured',
      'under-attack': 'fail',
    });
    expect(report.verdicts.find((verdict) => verdict.invariant === 'under-attack')!.phases).toEqual(
      ['slowloris'],
    );
  }, 60_000);

  it('reports a server that answers wrongly from the start as errored, without attacking it', async () => {
    const port = await inProcess((socket) => socket.on('data', () => socket.write('nonsense')));
    const report = await chaos({ ...SHORT, target: { host: '127.0.0.1', port } });
    expect(report.error).toMatch(/^verification failed: /);
    expect(report.phases).toEqual([]);
    expect(report.passed).toBe(false);
  });

  it('stops the server and rejects once the signal aborts, whatever phase it is in', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'chaos-')), 'pid');
    onTestFinished(() => rmSync(dirname(pidFile), { recursive: true, force: true }));
    const controller = new AbortController();
    const run = chaos({
      ...SHORT,
      // Without the abort, this run would take minutes.
      durationMs: 60_000,
      server: echoFixture('--pid-file', pidFile),
      onPhase: ({ name }) => {
        if (name === 'baseline') controller.abort(new Error('enough'));
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toThrow('enough');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  }, 30_000);
});
