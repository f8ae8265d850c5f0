import { once } from 'node:events';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTarget, ErrorCode } from '@switchyard/protocol';
import { describe, expect, onTestFinished, test } from 'vitest';
import { collect, startServer, TestServer } from './helpers.js';

/** A socket path in a fresh folder, removed with it when the test ends. */
function socketPath(): string {
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-unix-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  return join(folder, 'server.sock');
}

/** What `listen` throws, for a server on `path`. */
async function listenError(path: string) {
  const server = new TestServer({ path });
  onTestFinished(() => server.destroy());
  return server.listen().then(
    () => undefined,
    (error: unknown) => error as { code: string; message: string },
  );
}

describe('a server with path set', () => {
  test('listens on that Unix socket, says so in its address, and serves it', async () => {
    const path = socketPath();
    const server = await startServer({ path, codec: 'lines' });
    expect(server.address).toEqual({ family: 'unix', path });
    expect(connectTarget(server.address)).toEqual({ path });
    const client = connect({ path });
    onTestFinished(() => {
      client.destroy();
    });
    const reply = collect(client);
    client.end('over a unix socket\n');
    expect((await reply).toString()).toBe('over a unix socket\n');
    expect(server.stats()).toMatchObject({ accepted: 1, framesIn: 1, framesOut: 1 });
    await server.close();
    expect(existsSync(path)).toBe(false);
  });

  test('replaces a socket file that nobody answers on (left by a server that died)', async () => {
    const path = socketPath();
    // A socket file whose listener is gone, as a crashed process leaves it (Node removes the
    // file on close, so the file is moved aside while its listener closes).
    const stale = createServer();
    stale.listen({ path });
    await once(stale, 'listening');
    renameSync(path, `${path}.kept`);
    stale.close();
    await once(stale, 'close');
    renameSync(`${path}.kept`, path);
    expect(existsSync(path)).toBe(true);

    const server = await startServer({ path, codec: 'lines' });
    const client = connect({ path });
    onTestFinished(() => {
      client.destroy();
    });
    const reply = collect(client);
    client.end('served\n');
    expect((await reply).toString()).toBe('served\n');
    expect(server.address).toEqual({ family: 'unix', path });
  });

  test('refuses a path a live server answers on, naming it, and leaves that server alone', async () => {
    const path = socketPath();
    const live = await startServer({ path, codec: 'lines' });
    const error = await listenError(path);
    expect(error).toMatchObject({ code: ErrorCode.LISTEN_FAILED });
    expect(error!.message).toBe(
      `cannot listen on unix:${path}: a server is listening there already`,
    );
    const client = connect({ path });
    onTestFinished(() => {
      client.destroy();
    });
    const reply = collect(client);
    client.end('still mine\n');
    expect((await reply).toString()).toBe('still mine\n');
    // The liveness probe was a connection too, closed at once.
    expect(live.stats().accepted).toBe(2);
  });

  test('refuses a path where a file that is not a socket is, and leaves the file', async () => {
    const path = socketPath();
    writeFileSync(path, 'not a socket');
    const error = await listenError(path);
    expect(error).toMatchObject({ code: ErrorCode.LISTEN_FAILED });
    expect(error!.message).toMatch(/a file that is not a socket is there/);
    expect(existsSync(path)).toBe(true);
  });

  test('is refused with host or port', async () => {
    expect(() => new TestServer({ path: socketPath(), port: 7000 })).toThrow(/not both/);
  });
});
