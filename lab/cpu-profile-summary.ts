// Where a process spent its CPU, from the .cpuprofile files `node --cpu-prof` writes: self time by
// function and by category (our packages, Node's stream and net internals, timers, other Node
// internals, dependencies, native code such as the bindings that make the syscalls, GC), as shares
// of the time not idle; with --requests (the load generator's completed_total), microseconds per
// request too. Several files are summed (a worker thread writes its own).
// V8's profiler samples wall time: a thread preempted by another job on its CPU is counted in the
// frame it was in, so on a contended CPU the shares hold and the microseconds inflate.
//
//   pnpm lab cpu-profile-summary FILE_OR_DIR... [--top 25] [--requests N] [--window FROM_US,TO_US]
//                                [--inclusive NAME,NAME...]
//
// --window keeps the samples between two CLOCK_MONOTONIC times in microseconds (the profile's
// clock: python3 -c 'import time; print(int(time.monotonic() * 1e6))'), to leave out start-up and
// warm-up; --requests is then the requests completed in it (the load generator's completed_total
// for a run with --warmup 0 that spans the window). --inclusive adds
// the total time (self and callees) of the functions so named, e.g. a socket's `data` listener.
//
// To profile a server under the rig's load (see rig-cpu):
//   taskset -c 0 node --cpu-prof --cpu-prof-dir /tmp/prof-sel apps/switchyard/dist/cli.js serve --strategy selector --codec raw
//   taskset -c 1 /tmp/switchyard-rig-loadgen --host 127.0.0.1 --port P --conns 100 --size 1024 --depth 1 --duration 5
//   (SIGTERM the server: the profile is written as it exits)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { boundedCount } from './support/stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    requests: { type: 'string' },
    window: { type: 'string' },
    inclusive: { type: 'string', default: '' },
  },
});
const top = boundedCount('top', values.top, 200);
const requests = values.requests === undefined ? undefined : Number(values.requests);
const [from = 0, to = Number.POSITIVE_INFINITY] = values.window?.split(',').map(Number) ?? [];
if (positionals.length === 0) throw new Error('expected .cpuprofile files or directories of them');

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

const files = positionals.flatMap((path) =>
  statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(path, name))
    : [path],
);

/** What a frame is, for the by-category table. */
function category({ functionName, url }: CallFrame): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'program (VM, outside JS)';
  if (url === '') return 'native (bindings, syscalls, builtins)';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (/\/packages\/(server-core|server-selector)\//.test(url)) return 'ours: server-core, selector';
  if (/\/(packages|apps)\//.test(url)) return 'ours: other packages';
  if (/^node:internal\/streams\//.test(url) || url === 'node:stream') return 'node: streams';
  if (/^node:(net|internal\/stream_base_commons|internal\/net)$/.test(url)) return 'node: net';
  if (/^node:(timers|internal\/timers)$/.test(url)) return 'node: timers';
  if (/^node:(events|internal\/process\/task_queues)$/.test(url)) return 'node: events, ticks';
  if (url.startsWith('node:')) return 'node: other';
  return 'other';
}

function shortUrl(url: string): string {
  if (url.startsWith('node:')) return url;
  const at = url.search(/\/(packages|apps)\//);
  return at === -1 ? url.slice(url.lastIndexOf('/') + 1) : url.slice(at + 1);
}

const byFunction = new Map<string, { micros: number; category: string }>();
const byCategory = new Map<string, number>();
const inclusiveNames = values.inclusive.split(',').filter((name) => name !== '');
const inclusive = new Map(inclusiveNames.map((name) => [name, 0]));
let total = 0;
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  // A sample's delta is the time since the one before: the next delta is the time this one stood for.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]!;
    if (at < from || at > to) continue;
    const frame = nodes.get(profile.samples[i]!)!.callFrame;
    const micros = profile.timeDeltas[i + 1] ?? 0;
    const kind = category(frame);
    byCategory.set(kind, (byCategory.get(kind) ?? 0) + micros);
    if (kind === 'idle') continue;
    total += micros;
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    const entry = byFunction.get(key) ?? { micros: 0, category: kind };
    entry.micros += micros;
    byFunction.set(key, entry);
    // Each named function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let id: number | undefined = profile.samples[i]!; id !== undefined; id = parents.get(id)) {
      const name = nodes.get(id)!.callFrame.functionName;
      if (inclusive.has(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, inclusive.get(name)! + micros);
      }
    }
  }
}

const percent = (micros: number) => `${((100 * micros) / total).toFixed(1)}%`.padStart(6);
const perRequest = (micros: number) =>
  requests === undefined ? '' : `  ${(micros / requests).toFixed(2).padStart(6)} us/req`;
const idle = byCategory.get('idle') ?? 0;
console.log(
  `${files.length} profile(s): ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle${
    requests === undefined
      ? ''
      : `, ${(total / requests).toFixed(2)} us/req busy over ${requests} requests`
  }\n\nby category (self time, share of busy):`,
);
for (const [kind, micros] of [...byCategory].sort((a, b) => b[1] - a[1])) {
  if (kind !== 'idle') console.log(`  ${percent(micros)}${perRequest(micros)}  ${kind}`);
}
console.log(`\ntop ${top} functions (self time):`);
for (const [key, { micros, category: kind }] of [...byFunction]
  .sort((a, b) => b[1].micros - a[1].micros)
  .slice(0, top)) {
  console.log(`  ${percent(micros)}${perRequest(micros)}  ${key}  [${kind}]`);
}
if (inclusive.size > 0) console.log('\ninclusive (self and callees):');
for (const [name, micros] of inclusive)
  console.log(`  ${percent(micros)}${perRequest(micros)}  ${name}`);
