// What TLS costs a `switchyard serve` process, next to plaintext: server CPU per request in an
// echo of 1 KiB requests on 100 connections (depth 1), and connections per second (with server CPU
// per connection) in churn, where every connection does a handshake, one 1 KiB echo and closes.
// The server runs in a child process; its CPU (every thread) is read from /proc (Linux). The
// certificate is a throwaway one made by openssl for the run (RSA 2048, deleted after).
//
//   pnpm lab tls-cost [--seconds 3] [--connections 100] [--churners 20] [-- <serve options>]
//   e.g. pnpm lab tls-cost -- --strategy worker-pool:handoff --workers 2
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { parseArgs } from 'node:util';
import { selfCommand } from '@switchyard/cli';

const split = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, split === -1 ? undefined : split),
  options: {
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '100' },
    churners: { type: 'string', default: '20' },
  },
});
const serveArgs = split === -1 ? ['--strategy', 'selector'] : process.argv.slice(split + 1);
const windowMs = Number(values.seconds) * 1000;
const PAYLOAD = Buffer.alloc(1024, 0x61);
const folder = mkdtempSync(join(tmpdir(), 'switchyard-tls-cost-'));
const key = join(folder, 'key.pem');
const cert = join(folder, 'cert.pem');
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
  ],
  { stdio: 'ignore' },
);

/** CPU time (user + system, every thread) of process `pid` so far, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
}

async function serve(tls: boolean) {
  const extra = tls ? ['--tls-key', key, '--tls-cert', cert] : [];
  const { command, args } = selfCommand();
  const child = spawn(command, [...args, 'serve', '--port', '0', ...serveArgs, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(/:(\d+)\n/.exec(String(line))![1]);
  return { port, pid: child.pid!, stop: () => child.kill('SIGKILL') };
}

function open(port: number, tls: boolean): Promise<Socket> {
  const socket = tls
    ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false })
    : connect({ host: '127.0.0.1', port, noDelay: true });
  socket.setNoDelay(true);
  return once(socket, tls ? 'secureConnect' : 'connect').then(() => socket);
}

/** One 1 KiB echo on `socket`: resolves once all of it is back. */
function echo(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received < PAYLOAD.length) return;
      socket.off('data', onData).off('close', onClose);
      resolve();
    };
    const onClose = () => reject(new Error('closed mid-echo'));
    socket.on('data', onData).once('close', onClose);
    socket.write(PAYLOAD);
  });
}

/** Runs `loop` on `count` workers until `stopAt`; returns how many iterations completed in the window. */
async function measure(pid: number, count: number, loop: (counted: () => void) => Promise<void>) {
  let done = 0;
  let measuring = false;
  const counted = () => {
    if (measuring) done++;
  };
  const loops = Array.from({ length: count }, () => loop(counted));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const cpuBefore = cpuMicros(pid);
  measuring = true;
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  measuring = false;
  const cpu = cpuMicros(pid) - cpuBefore;
  stopping = true;
  await Promise.allSettled(loops);
  stopping = false;
  return { perSecond: (done * 1000) / windowMs, cpuPer: cpu / Math.max(done, 1) };
}
let stopping = false;

const rows: string[] = [];
for (const tls of [false, true]) {
  const server = await serve(tls);
  const echoRun = await measure(server.pid, Number(values.connections), async (counted) => {
    const socket = await open(server.port, tls);
    while (!stopping) {
      await echo(socket);
      counted();
    }
    socket.destroy();
  });
  const churnRun = await measure(server.pid, Number(values.churners), async (counted) => {
    while (!stopping) {
      const socket = await open(server.port, tls);
      await echo(socket);
      socket.end();
      await once(socket, 'close');
      counted();
    }
  });
  server.stop();
  rows.push(
    `| ${tls ? 'TLS' : 'plaintext'} | ${echoRun.perSecond.toFixed(0)} | ${echoRun.cpuPer.toFixed(0)} | ${churnRun.perSecond.toFixed(0)} | ${churnRun.cpuPer.toFixed(0)} |`,
  );
}
rmSync(folder, { recursive: true, force: true });
console.log(`serve ${serveArgs.join(' ')}; Node ${process.version}; ${values.seconds} s windows`);
console.log('| | echo req/s | server CPU us/req | churn conn/s | server CPU us/conn |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
