// `pnpm lab <script> [args]`: runs one of the lab's scripts in its own process, TypeScript through
// tsx with the `@switchyard/source` condition (as this process runs), Python through python3.
// With no script, or an unknown one, it lists them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Each script and the question it answers; lab/README.md has one line per script too. */
const scripts = {
  'idle-memory':
    'How much memory does an idle connection cost the selector and the worker pool, next to bare `net`?',
  'idle-cpu':
    'What CPU do many idle connections cost a server, and one more connection opened and closed beside them?',
  'waiting-memory':
    'What does a client waiting its turn cost the blocking strategy, and is it all freed when it leaves?',
  'nagle-check': 'Do large replies stall on Nagle plus delayed ACKs (one connection, depth 1)?',
  'burn-cost': 'What does one `burn` call cost, on the main thread and in a worker thread?',
  'message-cost':
    'What does a message between threads cost: one at a time, packed, waking a thread, piscina?',
  'thread-cpu': 'Where does a `switchyard serve` process spend CPU per request, thread by thread?',
  'py-echo-load': 'What req/s does an independent Python client measure against a running server?',
  'hostile-memory':
    'How much memory do partial frames, sent whole or dribbled, take from a `serve` process?',
  'pool-hostile':
    'What do a worker thread dying, or a client flooding requests that never settle, cost the good clients of a worker pool?',
  'tls-cost':
    'What does TLS cost a `serve` process per request (echo) and per connection (churn), next to plaintext?',
  'rig-cpu':
    'What server CPU per request does each contender cost, measured by the independent C load generator?',
  'handler-time-cost':
    'What does timing every handler call (the handler time histogram) cost per request?',
  'cpu-profile-summary':
    'Where does a process spend its CPU (self time by function and category, from `--cpu-prof`)?',
  'heap-after-attack':
    'Is the memory a server shows after an attack kept by it, or heap the runtime has not collected yet?',
} as const;
type Script = keyof typeof scripts;

const [name, ...args] = process.argv.slice(2);
if (name === undefined || !Object.hasOwn(scripts, name)) {
  if (name !== undefined && name !== '--help') console.error(`lab: no script named ${name}`);
  console.log('pnpm lab <script> [args]; every script is bounded and talks to 127.0.0.1 only\n');
  for (const [script, question] of Object.entries(scripts))
    console.log(`  ${script.padEnd(14)} ${question}`);
  process.exit(name === undefined || name === '--help' ? 0 : 1);
}
const script = name as Script;
const python = script === 'py-echo-load';
const file = fileURLToPath(new URL(python ? `./${script}.py` : `./${script}.ts`, import.meta.url));
const { status, signal, error } = python
  ? spawnSync('python3', [file, ...args], { stdio: 'inherit' })
  : spawnSync(process.execPath, [...process.execArgv, file, ...args], { stdio: 'inherit' });
if (error) throw error;
process.exitCode = status ?? (signal ? 1 : 0);
