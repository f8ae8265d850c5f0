import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connectionsPerProcess, parseProcNetTcp } from '../src/proc.js';
import { summarize, toMeasurement } from '../src/report.js';
import { renderWorkloadTable } from '../src/table.js';
import { fakeLoad, measured, oneCellWorkload } from './fixtures.js';

/** Two rows as the kernel writes them: a listener on 7000 and a connection it accepted. */
const PROC_NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:1B58 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1',
  '',
].join('\n');

/** Connects `count` clients to `port`; destroyed when the test ends. */
async function clients(port: number, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket = connect(port, '127.0.0.1');
      onTestFinished(() => {
        socket.destroy();
      });
      await once(socket, 'connect');
      return socket;
    }),
  );
}

/** Polls a reading of another process's state until `done` says it settled (bounded). */
async function settle<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  let value = read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = read();
  }
  return value;
}

describe('connections per process, from /proc', () => {
  it('reads the local port, the state and the inode of each socket', () => {
    expect(parseProcNetTcp(PROC_NET_TCP)).toEqual([
      { localPort: 7000, state: 10, inode: 4242 },
      { localPort: 7000, state: 1, inode: 4343 },
    ]);
  });

  it("counts one process's accepted connections, not the clients' ends", async () => {
    const server = createServer((socket) => socket.on('error', () => {}));
    server.listen(0, '127.0.0.1');
    onTestFinished(() => void server.close());
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    await clients(port, 3);
    expect(
      await settle(
        () => connectionsPerProcess(process.pid, port),
        ([n]) => n === 3,
      ),
    ).toEqual([3]);
  });

  /**
   * A cluster of two workers on one port (`cluster-server.cjs`), with `count` clients, read once
   * every connection is held by a worker. Under `rr` the primary accepts each connection and
   * holds it until the worker it went to has taken it, so for a moment the primary shows as a
   * third process holding one.
   */
  async function cluster(policy: 'rr' | 'none', count: number): Promise<number[]> {
    const script = fileURLToPath(new URL('./cluster-server.cjs', import.meta.url));
    const primary = spawn(process.execPath, [script, policy], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => {
      primary.kill('SIGKILL');
    });
    const [line] = (await once(createInterface({ input: primary.stdout! }), 'line')) as [string];
    const port = Number(line);
    await clients(port, count);
    return settle(
      () => connectionsPerProcess(primary.pid!, port),
      (counts) => counts.length <= 2 && counts.reduce((sum, each) => sum + each, 0) === count,
    );
  }

  it('counts each worker of a shared listening socket, an idle one as 0', async () => {
    const split = await cluster('none', 6);
    expect(split).toHaveLength(2);
    expect(split.reduce((sum, count) => sum + count, 0)).toBe(6);
  });

  it('leaves out the round-robin primary that listens and hands connections out', async () => {
    const split = await cluster('rr', 6);
    expect(split.reduce((sum, count) => sum + count, 0)).toBe(6);
    // Only workers holding connections: the primary, which holds the listener, is not one.
    expect(split.every((count) => count > 0)).toBe(true);
    expect(split.length).toBeLessThanOrEqual(2);
  });
});

describe('in the report', () => {
  const withSplit = (split: number[], run: number) =>
    toMeasurement(run, fakeLoad(1), {
      cpuMicros: 1000,
      peakRssBytes: 1,
      connectionsPerProcess: split,
    });

  it("keeps each run's split and shows it in the notes", () => {
    const runs = [withSplit([5, 5], 1), withSplit([9, 1], 2)];
    expect(summarize(runs).connectionsPerProcess).toEqual([
      [5, 5],
      [9, 1],
    ]);
    const table = renderWorkloadTable(oneCellWorkload([measured('twice', runs)]));
    expect(table).toContain('conn per process: 5+5, 9+1');
  });

  it('says nothing of a server of one process', () => {
    const run = toMeasurement(1, fakeLoad(1), { cpuMicros: 1000, peakRssBytes: 1 });
    expect(run.connectionsPerProcess).toBeUndefined();
    expect(summarize([run]).connectionsPerProcess).toBeUndefined();
  });
});
