// What many open connections cost a `switchyard serve` process in CPU while nothing happens on
// them, and what one more connection opened and closed beside them costs: each contender's built
// CLI serves `--codec lines`; this process opens --connections idle connections, waits a second,
// reads the server's CPU (every thread, from /proc) over --seconds, then opens and closes --churn
// connections, 50 at a time, and divides the server's CPU over that by their number. Contenders
// alternate within each round; the table gives medians. A contender may name another built
// checkout after `@` (before and after in one run). Linux only; `pnpm build` first.
//
//   pnpm lab idle-cpu [--contenders selector,worker-pool:handoff] [--connections 5000] [--seconds 5]
//                     [--churn 2000] [--rounds 3] [--node PATH] [-- <serve options for every contender>]
//   e.g. pnpm lab idle-cpu --node /tmp/node26/node_modules/.bin/node --contenders worker-pool:handoff -- --workers 2
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { builtCli } from './support/built-cli.js';
import { boundedCount, median } from './support/stats.js';

const split = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, split === -1 ? undefined : split),
  options: {
    contenders: { type: 'string', default: 'selector,worker-pool:offload' },
    connections: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '5' },
    churn: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    node: { type: 'string', default: process.execPath },
  },
});
const extraServeArgs = split === -1 ? [] : process.argv.slice(split + 1);
const contenders = values.contenders.split(',');
const connections = boundedCount('connections', values.connections, 15_000);
const seconds = boundedCount('seconds', values.seconds, 60);
const churn = boundedCount('churn', values.churn, 20_000);
const rounds = boundedCount('rounds', values.rounds, 10);
for (const contender of contenders) builtCli(contender.split('@')[1] ?? process.cwd());

/** CPU time (user + system, every thread) of one process so far, in milliseconds. */
function cpuMillis(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function startServer(contender: string) {
  const [strategy = '', root = process.cwd()] = contender.split('@');
  const args = [builtCli(root), 'serve', '--strategy', ...strategy.split(' '), '--codec', 'lines'];
  args.push('--max-connections', String(connections + 1000), ...extraServeArgs);
  const child = spawn(values.node, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: child.stdout! })) {
    const match = /listening on .*:(\d+)$/.exec(line);
    if (match) return { child, port: Number(match[1]) };
  }
  throw new Error(`${contender} exited before listening`);
}

async function open(port: number, count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      return socket;
    }),
  );
}

const samples = new Map<string, { idle: number[]; churn: number[] }>();
for (let round = 0; round < rounds; round++) {
  const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
  for (const contender of order) {
    const { child, port } = await startServer(contender);
    const idle: Socket[] = [];
    try {
      for (let opened = 0; opened < connections; opened += 100) {
        idle.push(...(await open(port, Math.min(100, connections - opened))));
      }
      await sleep(1000);
      let before = cpuMillis(child.pid!);
      await sleep(seconds * 1000);
      const idleMillis = cpuMillis(child.pid!) - before;
      before = cpuMillis(child.pid!);
      for (let done = 0; done < churn; done += 50) {
        for (const socket of await open(port, Math.min(50, churn - done))) socket.destroy();
      }
      await sleep(500);
      const churnMicros = ((cpuMillis(child.pid!) - before) * 1000) / churn;
      const perSecond = idleMillis / seconds;
      console.log(
        `round ${round + 1} ${contender}: idle ${perSecond.toFixed(1)} ms of CPU per s with ${connections} connections, ${churnMicros.toFixed(0)} us per connection opened and closed`,
      );
      const own = samples.get(contender) ?? { idle: [], churn: [] };
      own.idle.push(perSecond);
      own.churn.push(churnMicros);
      samples.set(contender, own);
    } finally {
      for (const socket of idle) socket.destroy();
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

console.log(`\nmedians of ${rounds} rounds, ${connections} idle connections`);
console.log('| contender | idle CPU ms per s | us per connection opened and closed |');
console.log('| --- | --- | --- |');
for (const contender of contenders) {
  const { idle, churn: churned } = samples.get(contender)!;
  console.log(`| ${contender} | ${median(idle).toFixed(1)} | ${median(churned).toFixed(0)} |`);
}
