// The memory a `switchyard serve` process (lines codec) gives to hostile clients, as in failure 1
// of issue 16 (Linux only: it reads the server's RSS from /proc/<pid>/status):
//
// - `partial`: each attacker sends one partial line of --bytes bytes (no newline) as fast as the
//   server takes it, then holds the connection open;
// - `dribble`: each attacker sends a partial line one byte per TCP segment, a byte per attacker
//   per millisecond, for --seconds.
//
// Meanwhile a good client sends a line and checks its echo, again and again. Reported: the
// server's RSS before, at its peak and 2 s after the attackers closed; the bytes the attackers got
// accepted; RSS growth per byte; the good client's checked replies; whether the server survived.
//
//   pnpm lab hostile-memory --attack partial|dribble [--connections N] [--bytes N] [--seconds S]
//                           [--root DIR] [-- <more serve options>]
//
// --root runs the CLI of another checkout (its TypeScript sources, through this checkout's tsx),
// to compare a branch with main: `--root /path/to/main-checkout`.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { selfCommand } from '@switchyard/cli';
import { childProcessArgs } from '@switchyard/server-core';
import { boundedCount } from './support/stats.js';

const { values, positionals: serveOptions } = parseArgs({
  options: {
    attack: { type: 'string', default: 'partial' },
    connections: { type: 'string' },
    bytes: { type: 'string', default: String(16 * 1024 * 1024) },
    seconds: { type: 'string', default: '20' },
    root: { type: 'string' },
  },
  allowPositionals: true,
});
const attack = values.attack;
if (attack !== 'partial' && attack !== 'dribble') throw new Error('--attack: partial or dribble');
const connections = boundedCount(
  'connections',
  values.connections ?? (attack === 'partial' ? '32' : '200'),
  2000,
);
const bytesEach = boundedCount('bytes', values.bytes, 64 * 1024 * 1024);
const seconds = boundedCount('seconds', values.seconds, 120);

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0; // it has exited
  }
}

async function startServer(): Promise<{ server: ChildProcess; port: number }> {
  const { command, args } = values.root
    ? {
        command: process.execPath,
        args: childProcessArgs(pathToFileURL(`${values.root}/apps/switchyard/src/cli.ts`)),
      }
    : selfCommand();
  const serve = [...args, 'serve', '--strategy', 'selector', '--codec', 'lines', '--port', '0'];
  const server = spawn(command, [...serve, ...serveOptions], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Its failure log can be long under attack: keep only the end, for a server that dies.
  let stderr = '';
  server.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  server.on('exit', (code, signal) => {
    if (signal !== 'SIGKILL') console.log(`server exited (${code ?? signal}):\n${stderr.trim()}`);
  });
  const lines = createInterface({ input: server.stdout! });
  for await (const line of lines) {
    const match = /^listening on .*:(\d+)$/.exec(line);
    if (match) {
      server.stdout!.resume();
      return { server, port: Number(match[1]) };
    }
  }
  throw new Error('the server exited before it listened');
}

async function connectTo(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Sends a line, checks its echo, again and again until stopped; returns the replies checked. */
function goodClient(socket: Socket): { stop(): Promise<number> } {
  let running = true;
  const done = (async () => {
    let checked = 0;
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    while (running && !socket.destroyed) {
      const line = `good ${checked} ${'0123456789'.repeat(10)}\n`;
      socket.write(line);
      while (received.length < line.length && !socket.destroyed && running) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (received.length < line.length) break;
      if (received !== line) throw new Error(`wrong reply ${checked}: ${received}`);
      received = '';
      checked++;
    }
    return checked;
  })();
  return {
    async stop() {
      running = false;
      return done;
    },
  };
}

/** Bytes the kernel took from `socket` so far. */
const accepted = (socket: Socket) => socket.bytesWritten - socket.writableLength;

/** Writes `bytes` of one partial line, as fast as it is taken; stops early if the socket closes. */
async function sendPartial(socket: Socket, bytes: number, until: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  for (let sent = 0; sent < bytes && !socket.destroyed && Date.now() < until; ) {
    const piece = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
    sent += piece.length;
    if (!socket.write(piece)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
    }
  }
}

/** One byte per attacker per millisecond: each arrives as a TCP segment, and a read, of its own. */
async function dribble(sockets: Socket[], until: number): Promise<void> {
  const byte = Buffer.from('x');
  while (Date.now() < until) {
    for (const socket of sockets) if (!socket.destroyed) socket.write(byte);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const { server, port } = await startServer();
const pid = server.pid!;
try {
  const good = goodClient(await connectTo(port));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = rssOf(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 100);
  const attackers = await Promise.all(Array.from({ length: connections }, () => connectTo(port)));
  const until = Date.now() + seconds * 1000;
  if (attack === 'partial') {
    await Promise.all(attackers.map((socket) => sendPartial(socket, bytesEach, until)));
  } else {
    await dribble(attackers, until);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  peak = Math.max(peak, rssOf(pid));
  const taken = attackers.reduce((sum, socket) => sum + accepted(socket), 0);
  const closedByServer = attackers.filter((socket) => socket.destroyed).length;
  for (const socket of attackers) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  clearInterval(sampler);
  const after = rssOf(pid);
  const checked = await good.stop();
  const alive = server.exitCode === null && server.signalCode === null;
  console.log(
    `${attack}: ${connections} attackers (${attack === 'partial' ? `${mib(bytesEach)} each, ` : ''}${seconds} s at most), serve ${serveOptions.join(' ') || '(defaults)'}${values.root ? ` from ${values.root}` : ''}`,
  );
  console.log(
    `server ${alive ? 'alive' : 'DEAD'}; attackers got ${mib(taken)} accepted (${closedByServer} closed by the server); ` +
      `RSS ${mib(before)} before, ${mib(peak)} at peak (+${mib(peak - before)}), ${mib(after)} after they left; ` +
      `${taken > 0 ? ((peak - before) / taken).toFixed(1) : '-'} bytes of RSS per byte; good client: ${checked} replies checked`,
  );
} finally {
  server.kill('SIGKILL');
}
