import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { ServerOptions, ServerStats } from '@switchyard/protocol';
import { childProcessArgs, siblingModule } from '@switchyard/server-core';
import { expect, onTestFinished, test } from 'vitest';

// Failure 1 of issue 16: a partial line dribbled one byte per TCP segment cost the selector over
// 100 bytes of memory per byte received (each segment kept as a Buffer of its own), and a heap
// limit ended the process. Here a selector with a 64 MB heap takes a bounded dribble from 200
// connections while a good client checks every reply; before partial frames were coalesced and
// counted, it aborted ("Reached heap limit") after about half a million bytes.

const HEAP_MB = 64;
const DRIBBLERS = 200;
/** Bytes each dribbler sends, one per segment, then it stops: 1.2 million segments in all. */
const BYTES_EACH = 6000;
const ATTACK_LIMIT_MS = 25_000;

interface Spawned {
  readonly child: ChildProcess;
  readonly port: number;
  /** What the server process wrote to stderr (V8's fatal error, if it died of one). */
  stderr(): string;
  stats(): Promise<{ stats: ServerStats; heapUsed: number }>;
}

async function spawnSelector(options: ServerOptions): Promise<Spawned> {
  const module = siblingModule(import.meta.url, './fixtures/serve.ts');
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, ...childProcessArgs(module), JSON.stringify(options)],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  onTestFinished(() => {
    child.kill();
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  return {
    child,
    port: ready.port,
    stderr: () => stderr,
    async stats() {
      child.send('stats');
      const [answer] = await once(child, 'message');
      return answer as { stats: ServerStats; heapUsed: number };
    },
  };
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  onTestFinished(() => {
    socket.destroy();
  });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/**
 * A client that sends a line, checks its echo byte for byte, and goes again, until `stop()`.
 * Throws (failing the test) on a wrong reply; `done` resolves with the replies checked.
 */
function goodClient(socket: Socket) {
  let running = true;
  const done = (async () => {
    let checked = 0;
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    while (running && !socket.destroyed) {
      const line = `good ${checked} ${'0123456789abcdef'.repeat(1 + (checked % 8))}\n`;
      socket.write(line);
      while (received.length < line.length && !socket.destroyed) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (received !== line) throw new Error(`reply ${checked}: ${JSON.stringify(received)}`);
      received = '';
      checked++;
    }
    return checked;
  })();
  return {
    done,
    stop() {
      running = false;
    },
  };
}

test('a selector with a small heap survives 200 clients dribbling partial lines one byte per segment, and keeps serving a good client', {
  timeout: 60_000,
}, async () => {
  // No frame deadline: memory alone must hold, however long the frames take.
  const server = await spawnSelector({ codec: 'lines', frameTimeoutMs: 0 });
  const good = goodClient(await connectTo(server.port));
  const dribblers = await Promise.all(
    Array.from({ length: DRIBBLERS }, () => connectTo(server.port)),
  );
  const byte = Buffer.from('x');
  const started = Date.now();
  let sent = 0;
  for (let round = 0; round < BYTES_EACH && Date.now() - started < ATTACK_LIMIT_MS; round++) {
    for (const socket of dribblers) socket.write(byte);
    sent += dribblers.length;
    // One byte per connection per millisecond: each arrives as a segment, and a read, of its own.
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (!alive(server.child)) break;
  }
  expect(alive(server.child), `server died after ${sent} bytes: ${server.stderr()}`).toBe(true);
  const { stats, heapUsed } = await server.stats();
  good.stop();
  expect(await good.done).toBeGreaterThan(0);
  expect(stats.active).toBe(DRIBBLERS + 1);
  // What it holds is the partial lines themselves, and its heap is far from the limit.
  expect(stats.bufferedBytes).toBeLessThanOrEqual(sent);
  expect(heapUsed).toBeLessThan((HEAP_MB / 2) * 1024 * 1024);

  for (const socket of dribblers) socket.destroy();
  const after = goodClient(await connectTo(server.port));
  while ((await server.stats()).stats.active > 2) await new Promise((r) => setTimeout(r, 5));
  after.stop();
  expect(await after.done).toBeGreaterThan(0);
  expect(alive(server.child)).toBe(true);
});
