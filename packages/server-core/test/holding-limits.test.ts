import type { Socket } from 'node:net';
import { type ConnectionFailure, ErrorCode } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { connectTo, readBytes, startServer, type TestServer, until } from './helpers.js';

/** Largest single read Node hands to 'data' (libuv reads up to 64 KiB at a time). */
const ONE_READ = 64 * 1024;
const LINE_BYTE = 0x78;

/** Resolves once `socket` has handed everything written so far to the kernel. */
function flushed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

function turns(count: number): Promise<void> {
  let done = Promise.resolve();
  for (let i = 0; i < count; i++) done = done.then(() => new Promise((r) => setImmediate(r)));
  return done;
}

/** The connection `server` accepted `index`-th, once it has. */
async function accepted(server: TestServer, index = 0) {
  await until(() => server.accepted.length > index);
  return server.accepted[index]!;
}

describe('a partial frame', () => {
  test('counts against the cap as soon as the connection holds anything else', async () => {
    const cap = 64 * 1024;
    const server = await startServer({
      codec: 'lines',
      maxBufferedBytesPerConnection: cap,
      maxFrameBytes: 8 * 1024 * 1024,
      // The first request is never answered: the connection holds it, and a partial line after it.
      dispatch: (request) => (request.toString() === 'first' ? new Promise(() => {}) : request),
    });
    const client = await connectTo(server);
    const partial = Buffer.alloc(4 * 1024 * 1024, LINE_BYTE);
    client.write('first\n');
    client.write(partial);
    const connection = await accepted(server);
    await until(() => connection.socket.isPaused() || server.stats().bytesIn >= partial.length + 6);
    expect(connection.socket.isPaused()).toBe(true);
    expect(connection.bufferedBytes).toBeLessThanOrEqual(cap + ONE_READ);
    expect(server.stats().bytesIn).toBeLessThan(partial.length);
  });

  test('alone, reads on past the cap up to maxFrameBytes: a frame larger than the cap is served', async () => {
    const cap = 16 * 1024;
    const server = await startServer({
      codec: 'lines',
      maxBufferedBytesPerConnection: cap,
      maxFrameBytes: 1024 * 1024,
    });
    const client = await connectTo(server);
    const line = Buffer.alloc(512 * 1024 + 1, LINE_BYTE);
    line[line.length - 1] = 0x0a;
    const echoed = readBytes(client, line.length);
    client.write(line);
    expect((await echoed).equals(line)).toBe(true);
    expect(server.stats().peakConnectionBufferedBytes).toBeGreaterThan(cap);
  });
});

test('a paused connection reads at most one chunk ahead, however the client dribbles', async () => {
  const server = await startServer();
  const client = await connectTo(server);
  client.setNoDelay(true);
  client.write('x');
  await readBytes(client, 1);
  const connection = server.accepted[0]!;
  connection.pause('test');
  // One byte per TCP segment, one per turn of the event loop: a paused stream that kept reading
  // would take each as a chunk of its own, up to its high-water mark.
  const dribbled = 3000;
  for (let i = 0; i < dribbled; i++) {
    client.write('y');
    await turns(1);
  }
  await flushed(client);
  await turns(3);
  expect(connection.socket.readableLength).toBeLessThanOrEqual(64);
  // Nothing was lost: the rest waited in the kernel.
  const echoed = readBytes(client, dribbled);
  connection.resume('test');
  expect((await echoed).toString()).toBe('y'.repeat(dribbled));
});

describe('the server-wide budget', () => {
  test('closes the greediest connection (SWITCHYARD_ERR_MEMORY_BUDGET) and spares a small one', async () => {
    const budget = 512 * 1024;
    const server = await startServer({
      codec: 'lines',
      maxServerBufferedBytes: budget,
      maxBufferedBytesPerConnection: 8 * 1024 * 1024,
      maxFrameBytes: 8 * 1024 * 1024,
    });
    const failures: ConnectionFailure[] = [];
    server.on('failure', (failure) => failures.push(failure));
    const small = await connectTo(server);
    small.write('abc');
    await until(() => server.stats().bytesIn === 3);
    const greedy = await connectTo(server);
    const greedyClosed = new Promise((resolve) => greedy.once('close', resolve));
    const partial = Buffer.alloc(2 * 1024 * 1024, LINE_BYTE);
    greedy.write(partial);
    await until(() => failures.length > 0 || server.stats().bytesIn >= partial.length + 3);
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.MEMORY_BUDGET]);
    expect(failures[0]!.connectionId).toBe(server.accepted[1]!.id);
    expect(failures[0]!.error.message).toMatch(`memory budget of ${budget} bytes`);
    await greedyClosed;
    expect(server.stats().errors).toEqual({ [ErrorCode.MEMORY_BUDGET]: 1 });

    // The small one is still served, its partial line intact.
    const echoed = readBytes(small, 'abcdef\n'.length);
    small.write('def\n');
    expect((await echoed).toString()).toBe('abcdef\n');
  });

  test('counts unwritten replies too: a client that never reads is closed, not the server', async () => {
    const budget = 1024 * 1024;
    const server = await startServer({
      maxServerBufferedBytes: budget,
      maxBufferedBytesPerConnection: 64 * 1024 * 1024,
    });
    const failures: ConnectionFailure[] = [];
    server.on('failure', (failure) => failures.push(failure));
    const reader = await connectTo(server);
    const neverReads = await connectTo(server);
    neverReads.pause();
    neverReads.on('error', () => {});
    const flood = Buffer.alloc(16 * 1024 * 1024, 0x61);
    neverReads.write(flood);
    await until(() => failures.length > 0 || server.stats().bytesIn >= flood.length);
    expect(failures.map(({ error }) => error.code)).toEqual([ErrorCode.MEMORY_BUDGET]);
    expect(failures[0]!.connectionId).toBe(server.accepted[1]!.id);
    const echoed = readBytes(reader, 5);
    reader.write('hello');
    expect((await echoed).toString()).toBe('hello');
  });
});
