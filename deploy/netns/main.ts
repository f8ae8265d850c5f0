// The topology from the command line (root, Linux, HAProxy installed):
//
//   node --import tsx deploy/netns/main.ts up      # build it, start everything, wait for Ctrl-C
//   node --import tsx deploy/netns/main.ts drain   # SIGTERM a backend under load, restart it, report
//   node --import tsx deploy/netns/main.ts clean   # remove what runs killed with SIGKILL left
//
// Whatever happens (a failure, Ctrl-C, SIGTERM), what the run made is removed before it exits.
import { parseArgs } from 'node:util';
import { type DrainReport, drain } from './drain.js';
import {
  BACKEND_NAMES,
  removeStaleNamespaces,
  SWITCHYARD_FROM_SOURCES,
  Topology,
  topologyUnavailable,
} from './topology.js';

const USAGE = `usage: main.ts up|drain|clean [options]
  up      build the hosts, start both backends and HAProxy, print how to reach them, wait for Ctrl-C
  drain   the same, then SIGTERM a backend while clients connect and talk, restart it, report
  clean   remove namespaces (and their processes) left by runs that no longer exist
options:
  --check-interval T   HAProxy's time between health checks (up: 2s, drain: 200ms)
  --runs N             drain: how many drains, alternating backends (default 1)
  --every-ms N         drain: a new connection every N ms (default 20)
  --long-lived N       drain: long-lived connections (default 8)
  --talk-every-ms N    drain: each long-lived connection sends a line every N ms (default 10)
  --balancer-drain-first
                       drain: take the backend out of rotation at HAProxy before the SIGTERM
  --json               drain: print every report as JSON instead of a summary line`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      'check-interval': { type: 'string' },
      runs: { type: 'string', default: '1' },
      'every-ms': { type: 'string', default: '20' },
      'long-lived': { type: 'string', default: '8' },
      'talk-every-ms': { type: 'string', default: '10' },
      'balancer-drain-first': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !['up', 'drain', 'clean'].includes(command ?? '')) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  if (command === 'clean') {
    const removed = removeStaleNamespaces();
    console.log(removed.length ? `removed ${removed.join(' ')}` : 'nothing to remove');
    return;
  }
  const unavailable = topologyUnavailable();
  if (unavailable) throw new Error(unavailable);

  const checkInterval = values['check-interval'] ?? (command === 'up' ? '2s' : '200ms');
  const topology = await Topology.build({ checkInterval });
  const stop = (signal: NodeJS.Signals) => {
    console.error(`${signal}: removing ${topology.id}`);
    void topology.close().finally(() => process.exit(130));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  try {
    await topology.start();
    if (command === 'up') {
      printHosts(topology);
      await new Promise(() => {});
    }
    const reports: DrainReport[] = [];
    for (let run = 0; run < Number(values.runs); run++) {
      const report = await drain(topology, {
        backend: BACKEND_NAMES[run % BACKEND_NAMES.length]!,
        everyMs: Number(values['every-ms']),
        longLived: Number(values['long-lived']),
        talkEveryMs: Number(values['talk-every-ms']),
        balancerDrainFirst: values['balancer-drain-first'],
      });
      reports.push(report);
      console.log(values.json ? JSON.stringify(report) : summarize(report));
      if (report.clientsExit.code !== 0) process.exitCode = 1;
    }
    if (!values.json && reports.length > 1) console.log(total(reports));
  } catch (error) {
    console.error(topology.describe());
    throw error;
  } finally {
    await topology.close();
  }
}

function printHosts(topology: Topology): void {
  const cli = SWITCHYARD_FROM_SOURCES.slice(1).join(' ');
  const client = topology.hosts.client.namespace;
  console.log(`topology ${topology.id}: HAProxy at ${topology.balancer}`);
  for (const host of Object.values(topology.hosts)) {
    console.log(
      `  ${host.name.padEnd(10)} ${host.address.padEnd(12)} ip netns exec ${host.namespace} ...`,
    );
  }
  console.log(
    `HAProxy's stats socket: ${topology.statsSocket} (echo 'show stat' | socat - UNIX:PATH)`,
  );
  console.log('from the client host:');
  console.log(
    `  ip netns exec ${client} node ${cli} client ${topology.balancer.replace(':', ' ')} 3 --codec lines`,
  );
  console.log(
    `  ip netns exec ${client} node ${cli} conformance --target ${topology.balancer} --codec lines`,
  );
  console.log('Ctrl-C removes everything.');
}

function summarize({ backend, exit, clients, stats, timeline }: DrainReport): string {
  const { visits, talkers } = clients;
  const stat = stats.find((row) => row.server === backend);
  return [
    `${backend}: SIGTERM, exit ${exit.code}; HAProxy: down at +${timeline.markedDown} ms, `,
    `restarted listening at +${timeline.listening} ms, up at +${timeline.markedUp} ms, `,
    `a new connection on it at +${timeline.visited} ms\n`,
    `  new connections: ${visits.attempted} attempted, ${visits.failed} failed `,
    `(${JSON.stringify(visits.byBackend)})${visits.failures.length ? ` ${visits.failures.join('; ')}` : ''}\n`,
    `  long-lived: ${talkers.requests} requests, ${talkers.replies} replies, ${talkers.wrong} wrong, `,
    `${talkers.lost} lost; ${talkers.closedByServer} connections closed by the server, `,
    `${talkers.resent} requests sent again${talkers.failures.length ? `; ${talkers.failures.join('; ')}` : ''}\n`,
    `  HAProxy, ${backend} so far: ${stat?.redispatches ?? '?'} redispatched, ${stat?.retries ?? '?'} retried, `,
    `${stat?.connectionErrors ?? '?'} connection errors; client addresses seen: ${clients.addresses.join(', ')}, relayed by ${clients.proxiedBy.join(', ')}`,
  ].join('');
}

/** The figures of several drains added up. */
function total(reports: readonly DrainReport[]): string {
  const sum = (pick: (clients: DrainReport['clients']) => number) =>
    reports.reduce((added, report) => added + pick(report.clients), 0);
  return [
    `${reports.length} drains: new connections ${sum((c) => c.visits.attempted)} attempted, `,
    `${sum((c) => c.visits.failed)} failed; long-lived requests ${sum((c) => c.talkers.requests)}, `,
    `replies ${sum((c) => c.talkers.replies)}, wrong ${sum((c) => c.talkers.wrong)}, `,
    `lost ${sum((c) => c.talkers.lost)}, sent again ${sum((c) => c.talkers.resent)}; `,
    `connections closed by a draining server ${sum((c) => c.talkers.closedByServer)}`,
  ].join('');
}

main().catch((error: Error) => {
  console.error(`topology: ${error.message}`);
  process.exitCode = 1;
});
