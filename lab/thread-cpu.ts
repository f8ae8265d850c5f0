// CPU time per request of each thread of a `switchyard serve` process under load (Linux only: it
// reads /proc/<pid>/task/*). The load is the independent Python client (py-echo-load.py), 1 KiB
// length-prefixed requests, closed loop, after a one-second warm-up. Per thread: its share of a
// core, CPU per request, and per request its voluntary context switches ("sleeps": it waited for
// work) and involuntary ones ("preemptions").
//
//   pnpm lab thread-cpu [--seconds 4] [--connections 10] [--build] [--node PATH] -- <serve options>
//   e.g. pnpm lab thread-cpu -- --strategy worker-pool:offload --handler burn
//
// The server runs the CLI from the TypeScript sources, as this process runs, or with --build
// from the build (`pnpm build` first), as `pnpm switchyard` does; --node runs it on another Node
// binary, e.g. Node 26 for worker-pool:handoff.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selfCommand } from '@switchyard/cli';
import { boundedCount } from './support/stats.js';

const { values, positionals: serveOptions } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '10' },
    node: { type: 'string' },
    build: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const seconds = boundedCount('seconds', values.seconds, 30);
const connections = boundedCount('connections', values.connections, 1000);
const pythonClient = fileURLToPath(new URL('./py-echo-load.py', import.meta.url));

interface ThreadSample {
  name: string;
  /** utime + stime, in clock ticks. */
  ticks: number;
  voluntary: number;
  involuntary: number;
}

/** Every thread of process `pid`, by thread id. */
function snapshot(pid: number): Map<string, ThreadSample> {
  const threads = new Map<string, ThreadSample>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The name is in parentheses and may hold spaces; fields count from after it.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const count = (key: string) =>
        Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
      threads.set(tid, {
        name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        ticks: Number(fields[11]) + Number(fields[12]),
        voluntary: count('voluntary_ctxt_switches'),
        involuntary: count('nonvoluntary_ctxt_switches'),
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** The built CLI, found through the `@switchyard/cli` package's `bin`. */
function builtCommand(): { command: string; args: string[] } {
  const manifestPath = createRequire(import.meta.url).resolve('@switchyard/cli/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    bin: { switchyard: string };
  };
  const cli = join(dirname(manifestPath), manifest.bin.switchyard);
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
  return { command: process.execPath, args: [cli] };
}

async function startServer(): Promise<{ server: ChildProcess; port: number }> {
  const { command, args } = values.build ? builtCommand() : selfCommand();
  const serve = [...args, 'serve', '--codec', 'length-prefixed', '--port', '0', ...serveOptions];
  const server = spawn(values.node ?? command, serve, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: server.stdout! });
  const timeout = setTimeout(() => server.kill(), 30_000);
  try {
    for await (const line of lines) {
      const match = /^listening on .*:(\d+)$/.exec(line);
      if (match) {
        server.stdout!.resume(); // nothing else is expected there; never let it fill up
        return { server, port: Number(match[1]) };
      }
    }
    throw new Error('the server exited before it listened');
  } finally {
    clearTimeout(timeout);
  }
}

/** Runs the Python client; returns the req/s it printed. */
function load(port: number, loadSeconds: number, warmup: number): number {
  const output = execFileSync(
    'python3',
    [
      pythonClient,
      String(port),
      ...['--size', '1024', '--connections', String(connections), '--framing', 'length-prefixed'],
      ...['--seconds', String(loadSeconds), '--warmup', String(warmup)],
    ],
    { encoding: 'utf8' },
  );
  process.stdout.write(output);
  return Number.parseFloat(output);
}

const { server, port } = await startServer();
try {
  load(port, 1, 0.5); // warms up the JIT and the pool's cost estimate
  const before = snapshot(server.pid!);
  const rate = load(port, seconds, 0);
  const after = snapshot(server.pid!);
  const requests = rate * seconds;
  const tickMicros = 1_000_000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  const percent = (micros: number) => `${(micros / (seconds * 1e4)).toFixed(1)}%`.padStart(6);
  console.log('thread                 CPU     us per request  per request: sleeps  preemptions');
  let total = 0;
  for (const [tid, end] of after) {
    const start = before.get(tid) ?? { ...end, ticks: 0, voluntary: 0, involuntary: 0 };
    const micros = (end.ticks - start.ticks) * tickMicros;
    total += micros;
    if (micros === 0) continue;
    console.log(
      `${`${tid}:${end.name}`.padEnd(22)} ${percent(micros)}  ${(micros / requests).toFixed(1).padStart(10)}` +
        `        ${((end.voluntary - start.voluntary) / requests).toFixed(2).padStart(5)}` +
        `        ${((end.involuntary - start.involuntary) / requests).toFixed(2).padStart(5)}`,
    );
  }
  console.log(
    `${'all threads'.padEnd(22)} ${percent(total)}  ${(total / requests).toFixed(1).padStart(10)}`,
  );
} finally {
  server.kill('SIGTERM');
  if (server.exitCode === null) await once(server, 'exit');
}
