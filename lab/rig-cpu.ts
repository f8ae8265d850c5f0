// Server CPU per request, measured with the independent C load generator in ../shared/rig (it
// verifies every echoed byte and costs little CPU): each contender runs as a `switchyard serve
// --codec raw` process pinned to one CPU, the load generator pinned to the other; the server's
// CPU (every thread, from /proc) over the measured window is divided by the requests completed.
// Contenders alternate within each round (the order rotates), and the table gives medians, with
// each contender's ratio to the first. `net-pipe` is a bare `net` echo server (noDelay, pipe);
// `relay-post` and `relay-atomics` are bare `net` servers whose one worker thread echoes each read,
// reached by postMessage or through shared memory and Atomics (support/net-relay.mjs): the floor
// of offload's relay.
// Runs the built CLI (`pnpm build` first), or another checkout's with --root. A contender is a
// strategy with its own serve options after spaces ('worker-pool:offload --workers 1'), and
// optionally `@DIR`, another built checkout to run it from: before and after in one run.
// Each round also says how busy the server's CPUs were with other work than the server ("others",
// from /proc/stat, a share of the window): another job pinned there inflates CPU per request
// several times over. With --max-others, a measurement above it is taken again (up to 4 times).
//
//   pnpm lab rig-cpu [--contenders net-pipe,selector,worker-pool:offload] [--workloads 1024x100,10240x10]
//                    [--depth 1] [--rounds 3] [--seconds 3] [--node PATH] [--root DIR]
//                    [--rig ../shared/rig/loadgen.c] [--server-cpu 0] [--client-cpu 1] [--max-others 0.15]
//                    [-- <serve options for every contender>]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { builtCli } from './support/built-cli.js';
import { boundedCount, median } from './support/stats.js';

const split = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, split === -1 ? undefined : split),
  options: {
    contenders: { type: 'string', default: 'net-pipe,selector,worker-pool:offload' },
    workloads: { type: 'string', default: '1024x100,10240x10' },
    depth: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    node: { type: 'string', default: process.execPath },
    // `pnpm lab` runs from the repository's root; the rig sits beside the repository.
    root: { type: 'string', default: process.cwd() },
    rig: { type: 'string', default: join(dirname(process.cwd()), 'shared', 'rig', 'loadgen.c') },
    'server-cpu': { type: 'string', default: '0' },
    'client-cpu': { type: 'string', default: '1' },
    'max-others': { type: 'string' },
  },
});
const maxOthers = values['max-others'] === undefined ? 1 : Number(values['max-others']);
if (!(maxOthers > 0 && maxOthers <= 1)) throw new Error('--max-others: expected a share in (0, 1]');
const extraServeArgs = split === -1 ? [] : process.argv.slice(split + 1);
const contenders = values.contenders.split(',');
const rounds = boundedCount('rounds', values.rounds, 20);
const seconds = boundedCount('seconds', values.seconds, 60);
const depth = boundedCount('depth', values.depth, 64);
const workloads = values.workloads.split(',').map((text) => {
  const [size, conns] = text.split('x').map(Number);
  if (!size || !conns || size > 1 << 20 || conns > 1000)
    throw new Error(`--workloads: expected SIZExCONNS (e.g. 1024x100), got ${text}`);
  return { size, conns, label: text };
});
for (const contender of contenders) builtCli(contender.split('@')[1] ?? values.root);

const loadgen = '/tmp/switchyard-rig-loadgen';
if (!existsSync(loadgen)) execFileSync('gcc', ['-O2', '-o', loadgen, values.rig, '-lm']);

const NET_PIPE = `import { createServer } from 'node:net';
const server = createServer({ noDelay: true }, (socket) => { socket.on('error', () => {}); socket.pipe(socket); });
server.listen(0, '127.0.0.1', () => console.log('listening on 127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));`;

/**
 * CPU time (user + system, every thread) of process `pid` and every process under it so far, in
 * microseconds: a contender in several processes (`selector --processes 2`) is its whole tree.
 */
function cpuMicros(pid: number): number {
  let ticks = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    ticks = Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // exited between the listing and the read
  }
  let micros = (ticks * 1_000_000) / 100;
  for (const child of childrenOf(pid)) micros += cpuMicros(child);
  return micros;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .split(' ')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** The CPUs of a taskset list ("0", "0-1", "0,2-3"). */
function cpuList(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [first, last = first] = part.split('-').map(Number);
    return Array.from({ length: last! - first! + 1 }, (_, index) => first! + index);
  });
}
const serverCpus = cpuList(values['server-cpu']);

/** Busy time (not idle or waiting for I/O) of the server's CPUs together so far, in microseconds. */
function cpuBusyMicros(): number {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  let ticks = 0;
  for (const cpu of serverCpus) {
    const line = lines.find((text) => text.startsWith(`cpu${cpu} `));
    if (line === undefined) throw new Error(`--server-cpu: no cpu${cpu} in /proc/stat`);
    const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
    ticks += user! + nice! + system! + irq! + softirq! + steal!;
  }
  return (ticks * 1_000_000) / 100;
}

async function startServer(contender: string) {
  const [strategy = '', root = values.root] = contender.split('@');
  const relay = /^relay-(post|atomics)$/.exec(strategy)?.[1];
  const args =
    strategy === 'net-pipe'
      ? ['--input-type=module', '-e', NET_PIPE]
      : relay
        ? [join(values.root, 'lab/support/net-relay.mjs'), relay]
        : [
            builtCli(root),
            'serve',
            '--strategy',
            ...strategy.split(' '),
            '--codec',
            'raw',
            ...extraServeArgs,
          ];
  const child = spawn('taskset', ['-c', values['server-cpu'], values.node, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const match = /listening on .*:(\d+)$/.exec(line);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`${contender} exited before listening`);
}

interface LoadResult {
  completed_total: number;
  req_per_s: number;
  errors: number;
  mismatches: number;
}

function load(port: number, size: number, conns: number, duration: number): LoadResult {
  const out = execFileSync('taskset', [
    '-c',
    values['client-cpu'],
    loadgen,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--conns',
    String(conns),
    '--size',
    String(size),
    '--depth',
    String(depth),
    '--duration',
    String(duration),
    '--warmup',
    '0',
  ]);
  return JSON.parse(out.toString()) as LoadResult;
}

type Sample = { micros: number; rps: number };
const samples = new Map<string, Sample[]>();

for (const { size, conns, label } of workloads) {
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const contender of order) {
      const { child, port } = await startServer(contender);
      try {
        load(port, size, conns, 1);
        for (let attempt = 1; ; attempt++) {
          const before = cpuMicros(child.pid!);
          const busyBefore = cpuBusyMicros();
          const started = process.hrtime.bigint();
          const result = load(port, size, conns, seconds);
          const elapsed = Number(process.hrtime.bigint() - started) / 1000;
          const server = cpuMicros(child.pid!) - before;
          const others = (cpuBusyMicros() - busyBefore - server) / (elapsed * serverCpus.length);
          const micros = server / result.completed_total;
          if (result.errors || result.mismatches)
            throw new Error(
              `${contender}: ${result.errors} errors, ${result.mismatches} mismatches`,
            );
          const again = others > maxOthers && attempt < 4;
          console.error(
            `round ${round + 1} ${label} d${depth} ${contender}: ${micros.toFixed(2)} us/req, ${result.req_per_s.toFixed(0)} req/s, others ${(100 * others).toFixed(0)}%${again ? ', again' : ''}`,
          );
          if (again) continue;
          const key = `${label}\t${contender}`;
          samples.set(key, [...(samples.get(key) ?? []), { micros, rps: result.req_per_s }]);
          break;
        }
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  }
}

console.log(
  `\nserver CPU us/request, median of ${rounds} rounds (depth ${depth}, ${seconds} s each)`,
);
console.log(
  `| contender | ${workloads.map((w) => `${w.label} us/req (x first) | req/s`).join(' | ')} |`,
);
console.log(`| --- |${workloads.map(() => ' --- | --- |').join('')}`);
for (const contender of contenders) {
  const cells = workloads.map(({ label }) => {
    const own = samples.get(`${label}\t${contender}`)!;
    const first = samples.get(`${label}\t${contenders[0]}`)!;
    const micros = median(own.map((s) => s.micros));
    const ratio = micros / median(first.map((s) => s.micros));
    return `${micros.toFixed(2)} (${ratio.toFixed(2)}x) | ${median(own.map((s) => s.rps)).toFixed(0)}`;
  });
  console.log(`| ${contender} | ${cells.join(' | ')} |`);
}
