// What hostile clients cost the good ones on a `switchyard serve` worker pool (offload, `lines`):
// good clients pipeline numbered lines and check every reply (exact, in order) while
//   --attack death: a client asks for `exit` every --every-ms, which ends the worker thread that
//                   runs it (process.exit); reported: good bytes lost, connections dropped;
//   --attack flood: for the middle third of the run, one client floods `hang` requests (they
//                   never settle) without reading; reported: good req/s before, during, after;
//   --attack never-read: --hostile clients send 2-byte lines as fast as the server reads them
//                   and never read a reply; reported: the server's RSS growth (peak, and at the
//                   end), sampled every 250 ms from /proc (Linux).
//
//   pnpm lab pool-hostile [--attack death|flood|never-read] [--seconds 6] [--connections 50]
//                         [--depth 16] [--every-ms 1000] [--hostile 16] [--node PATH]
//                         [-- <more serve options>]
//
// The server is the CLI from the TypeScript sources, as this process runs; 127.0.0.1 only.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selfCommand } from '@switchyard/cli';
import { boundedCount } from './support/stats.js';

const { values, positionals: serveOptions } = parseArgs({
  options: {
    attack: { type: 'string', default: 'death' },
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '50' },
    depth: { type: 'string', default: '16' },
    'every-ms': { type: 'string', default: '1000' },
    hostile: { type: 'string', default: '16' },
    node: { type: 'string' },
  },
  allowPositionals: true,
});
const attack = values.attack;
if (attack !== 'death' && attack !== 'flood' && attack !== 'never-read') {
  throw new Error('--attack: death, flood or never-read');
}
const seconds = boundedCount('seconds', values.seconds, 30);
const connections = boundedCount('connections', values.connections, 500);
const depth = boundedCount('depth', values.depth, 256);
const everyMs = boundedCount('every-ms', values['every-ms'], 30_000);
const hostileCount = boundedCount('hostile', values.hostile, 200);
const handler = fileURLToPath(new URL('./support/hostile-handler.mjs', import.meta.url));

async function startServer(): Promise<{ server: ChildProcess; port: number }> {
  const { command, args } = selfCommand();
  const serve = [
    ...args,
    ...['serve', '--strategy', 'worker-pool:offload', '--codec', 'lines', '--port', '0'],
    ...['--handler', handler, ...serveOptions],
  ];
  const server = spawn(values.node ?? command, serve, { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr!.resume();
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

/** A good client: `depth` numbered lines in flight, every reply checked against what was sent. */
class GoodClient {
  readonly socket: Socket;
  /** Lines sent and not yet answered, oldest first. */
  private readonly owed: string[] = [];
  private pending = '';
  private next = 0;
  private stopping = false;
  replies = 0;
  wrong = 0;
  /** When the server closed it with replies owed (performance.now()), if it did. */
  droppedAt: number | undefined;

  get dropped(): boolean {
    return this.droppedAt !== undefined;
  }

  constructor(
    port: number,
    private readonly name: number,
  ) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.fill());
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('latin1')));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (this.owed.length > 0 || !this.stopping) this.droppedAt = performance.now();
    });
  }

  /** Bytes sent whose replies never came. */
  get lostBytes(): number {
    return this.owed.reduce((sum, line) => sum + line.length + 1, 0);
  }

  stop(): void {
    this.stopping = true;
  }

  private fill(): void {
    let batch = '';
    while (!this.stopping && this.owed.length < depth) {
      const line = `g${this.name}-${this.next++}`;
      this.owed.push(line);
      batch += `${line}\n`;
    }
    if (batch) this.socket.write(batch);
  }

  private onData(text: string): void {
    const lines = (this.pending + text).split('\n');
    this.pending = lines.pop()!;
    for (const line of lines) {
      if (line !== this.owed.shift()) this.wrong++;
      this.replies++;
    }
    this.fill();
  }
}

const { server, port } = await startServer();
const goods = Array.from({ length: connections }, (_, n) => new GoodClient(port, n));
const hostile: Socket[] = [];
const started = performance.now();
const phaseMs = (seconds * 1000) / 3;
const repliesAt: number[] = [];
const sample = setInterval(() => {
  repliesAt.push(goods.reduce((sum, good) => sum + good.replies, 0));
}, phaseMs);

/** The server's resident set, in MiB. */
const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1]) / 1024;
const rssAtStart = rss();
let rssPeak = rssAtStart;
const rssSampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, rss());
}, 250);

/** A client that writes `text` whenever its socket takes more, and never reads. */
function flooder(text: string, onWrite: () => void): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.pause();
  const chunk = Buffer.from(text);
  const flood = () => {
    while (socket.writable && socket.write(chunk)) onWrite();
  };
  socket.on('connect', flood).on('drain', flood);
  hostile.push(socket);
  return socket;
}

let attacks = 0;
let timer: NodeJS.Timeout | undefined;
if (attack === 'never-read') {
  for (let n = 0; n < hostileCount; n++) flooder('a\n'.repeat(32 * 1024), () => attacks++);
} else if (attack === 'death') {
  timer = setInterval(() => {
    const killer = connect(port, '127.0.0.1', () => killer.write('exit\n'));
    killer.on('error', () => {});
    hostile.push(killer);
    attacks++;
  }, everyMs);
} else {
  timer = setTimeout(() => {
    const hanging = flooder('hang\n'.repeat(1000), () => {
      attacks += 1000;
    });
    setTimeout(() => hanging.resetAndDestroy(), phaseMs).unref();
  }, phaseMs);
}

await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 20));
clearInterval(sample);
clearInterval(rssSampler);
clearTimeout(timer);
const rssAtEnd = rss();
const elapsed = (performance.now() - started) / 1000;
for (const good of goods) good.stop();
// Replies still owed get a moment to arrive before what is missing counts as lost.
const settleBy = Date.now() + 2000;
while (Date.now() < settleBy && goods.some((good) => !good.dropped && good.lostBytes > 0)) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const replies = goods.reduce((sum, good) => sum + good.replies, 0);
const dropped = goods.filter((good) => good.dropped).length;
const lost = goods.reduce((sum, good) => sum + good.lostBytes, 0);
const wrong = goods.reduce((sum, good) => sum + good.wrong, 0);
console.log(
  `node ${process.version}, worker-pool:offload ${serveOptions.join(' ')}, ${connections} good connections x depth ${depth}, ${seconds} s`,
);
if (attack === 'death') {
  console.log(
    `attack death: ${attacks} worker threads ended by process.exit (one every ${everyMs} ms)`,
  );
  const drops = goods.flatMap((good) =>
    good.droppedAt === undefined ? [] : [((good.droppedAt - started) / 1000).toFixed(1)],
  );
  const when = drops.length > 0 ? ` (at ${[...new Set(drops)].join(', ')} s)` : '';
  console.log(
    `good: ${Math.round(replies / elapsed)} req/s, ${dropped} of ${connections} connections dropped${when}, ${lost} bytes lost, ${wrong} replies wrong or out of order`,
  );
} else if (attack === 'never-read') {
  const mib = (value: number) => `+${(value - rssAtStart).toFixed(0)} MiB`;
  console.log(
    `attack never-read: ${hostileCount} clients wrote ${((attacks * 64) / 1024).toFixed(0)} MiB of 2-byte lines, reading nothing`,
  );
  console.log(
    `server RSS ${rssAtStart.toFixed(0)} MiB at the start: peak ${mib(rssPeak)}, at the end ${mib(rssAtEnd)}; good: ${Math.round(replies / elapsed)} req/s, ${dropped} dropped, ${lost} bytes lost, ${wrong} wrong`,
  );
} else {
  const [first = 0, second = first, third = second] = repliesAt;
  const rate = (count: number) => Math.round(count / (phaseMs / 1000));
  console.log(`attack flood: ${attacks} requests that never settle written, in the middle third`);
  console.log(
    `good req/s: before ${rate(first)}, during ${rate(second - first)}, after ${rate(third - second)}; ${dropped} dropped, ${lost} bytes lost, ${wrong} wrong`,
  );
}
for (const good of goods) good.socket.destroy();
for (const socket of hostile) socket.destroy();
server.kill('SIGTERM');
if (server.exitCode === null) await once(server, 'exit');
