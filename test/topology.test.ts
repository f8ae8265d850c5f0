// Switchyard behind HAProxy on simulated hosts (deploy/): a client host, a balancer host and two
// backend hosts, each a network namespace on a bridge in a namespace of its own. The traffic
// never leaves those namespaces: none has a route out, and the machine's own network is not
// touched. Needs root, `ip netns` and HAProxy; skipped, saying which is missing, elsewhere.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drain } from '../deploy/netns/drain.js';
import { parseShowStat, serverStats } from '../deploy/netns/haproxy-stats.js';
import { listNamespaces, Topology, topologyUnavailable } from '../deploy/netns/topology.js';

const unavailable = topologyUnavailable();

/**
 * The conformance cases that must pass through the balancer. The suite skips the rest by itself
 * for any external target: those that need control of the server (its options and counters:
 * handler.*, lifecycle.*, limits.*, stats.counters, net.ipv6), conn.one-at-a-time (the
 * backends serve concurrently), framing.malformed (`lines` declares no malformed input), and the
 * PROXY protocol's own cases, which need a target that takes headers from its client: here the
 * balancer writes them, and every connection of the suite gets one.
 * socket.no-delay runs and is reported but not required: it is a timing case (median round trip
 * under 20 ms), and through three processes on a loaded machine it measures the machine.
 */
const PASS_THROUGH_BALANCER = [
  'echo.hello',
  'echo.multiconn',
  'echo.large',
  'echo.binary',
  'stream.fragmented',
  'stream.pipelined',
  'stream.empty-frames',
  'conn.half-close',
  'conn.reset',
  'conn.concurrent',
  'backpressure.slow-reader',
  'fairness.no-starvation',
  'framing.too-large',
  'framing.truncated',
  'framing.garbage',
];

/** The machine's own network interfaces, which a run must leave exactly as it found them. */
const hostLinks = () =>
  execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0])
    .filter(Boolean)
    .sort();

describe("HAProxy's `show stat`, as the topology reads it", () => {
  // The first columns of HAProxy 2.6's answer (it has about a hundred), from a live run.
  const answer = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight',
    'switchyard,FRONTEND,,,0,4,9985,131,9300,9300,0,0,0,,,,,OPEN,',
    'switchyard,backend-1,0,0,0,2,,60,4200,4200,,0,,1,0,2,14,DOWN,1',
    'switchyard,backend-2,0,0,0,3,,71,5100,5100,,0,,0,0,0,0,UP 1/2,1',
    'switchyard,BACKEND,0,0,0,4,999,131,9300,9300,0,0,,1,0,2,14,UP,1',
    '',
    '',
  ].join('\n');

  it('reads each row by its column names', () => {
    const rows = parseShowStat(answer);
    expect(rows).toHaveLength(4);
    expect(rows[1]).toMatchObject({ pxname: 'switchyard', svname: 'backend-1', status: 'DOWN' });
  });

  it('keeps the servers, with their status and connection counts, and not the totals', () => {
    expect(serverStats(parseShowStat(answer))).toEqual([
      {
        proxy: 'switchyard',
        server: 'backend-1',
        status: 'DOWN',
        sessions: 60,
        retries: 2,
        redispatches: 14,
        connectionErrors: 1,
      },
      {
        proxy: 'switchyard',
        server: 'backend-2',
        status: 'UP 1/2',
        sessions: 71,
        retries: 0,
        redispatches: 0,
        connectionErrors: 0,
      },
    ]);
  });

  it('reads an answer without its header (an error message) as no rows', () => {
    expect(parseShowStat('Unknown command\n')).toEqual([]);
  });
});

if (unavailable) {
  it.skip(`Switchyard behind HAProxy on simulated hosts (skipped: ${unavailable})`);
} else {
  describe('Switchyard behind HAProxy on simulated hosts', () => {
    let topology: Topology | undefined;
    const linksBefore = hostLinks();
    let dir = '';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'switchyard-topology-test-'));
      // Checks every 200 ms: a stopped backend is out of rotation in well under a second.
      topology = await Topology.build({ checkInterval: '200ms' });
      await topology.start();
    }, 60_000);

    afterAll(async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (!topology) return;
      await topology.close();
      expect(topology.leftovers()).toEqual({ namespaces: [], processes: [] });
      expect(listNamespaces().filter((name) => name.startsWith(topology!.id))).toEqual([]);
      expect(hostLinks()).toEqual(linksBefore);
    }, 30_000);

    it('builds four hosts and a bridge in namespaces of their own, none in the machine’s', () => {
      const { hosts, bridgeNamespace, id } = topology!;
      const names = [bridgeNamespace, ...Object.values(hosts).map((host) => host.namespace)];
      expect(
        listNamespaces()
          .filter((name) => name.startsWith(id))
          .sort(),
      ).toEqual(names.sort());
      expect(hostLinks()).toEqual(linksBefore);
      // No host has a way out: only the bridge's own subnet is routed.
      const routes = execFileSync('ip', ['-n', hosts.client.namespace, 'route'], {
        encoding: 'utf8',
      });
      expect(routes).not.toMatch(/^default/m);
    });

    it('passes the conformance suite through the balancer, from the client host', async () => {
      const json = join(dir, 'conformance.json');
      const run = topology!.switchyard('client', [
        'conformance',
        '--target',
        topology!.balancer,
        '--codec',
        'lines',
        '--json',
        json,
      ]);
      const exit = await run.exited;
      expect(exit.code, run.describe()).toBe(0);
      const { reports } = JSON.parse(readFileSync(json, 'utf8')) as {
        reports: { results: { id: string; status: string; message?: string }[] }[];
      };
      const results = reports[0]!.results;
      const failed = results.filter(({ status }) => status === 'fail');
      expect(failed, run.describe()).toEqual([]);
      const passed = results.filter(({ status }) => status === 'pass').map(({ id }) => id);
      expect(passed).toEqual(expect.arrayContaining(PASS_THROUGH_BALANCER));
    }, 60_000);

    it('on SIGTERM to a backend, with new clients every 20 ms and long-lived ones talking, ' +
      'no new connection fails and no reply is lost or wrong; restarted, the backend is back ' +
      'in rotation; every backend sees the client host’s address (PROXY v2)', async () => {
      const report = await drain(topology!, {
        backend: 'backend-1',
        everyMs: 20,
        longLived: 8,
        talkEveryMs: 10,
      });
      const { visits, talkers, addresses, proxiedBy } = report.clients;
      const context = `${JSON.stringify(report, null, 2)}\n${topology!.describe()}`;

      // The backend closed gracefully, while clients were coming to it.
      expect(report.exit, context).toEqual({ code: 0, signal: null });
      expect(visits.byBackend['backend-1'], context).toBeGreaterThan(0);
      expect(visits.byBackend['backend-2'], context).toBeGreaterThan(0);

      // No new connection failed, no reply was lost or wrong.
      expect(visits.failures, context).toEqual([]);
      expect(visits.ok, context).toBe(visits.attempted);
      expect(talkers.failures, context).toEqual([]);
      expect(talkers.wrong, context).toBe(0);
      expect(talkers.lost, context).toBe(0);
      expect(talkers.replies, context).toBe(talkers.requests);
      // The long-lived connections on the stopped backend were closed by it and carried on
      // elsewhere: the drain really happened under them.
      expect(talkers.closedByServer, context).toBeGreaterThan(0);
      expect(report.clientsExit.code, context).toBe(0);

      // Back in rotation: HAProxy has it up, and (drain() fails otherwise) a new connection
      // reached it after the restart.
      const stat = report.stats.find(({ server }) => server === 'backend-1');
      expect(stat?.status, context).toBe('UP');

      // PROXY v2: each backend saw the client host's address, relayed by the balancer.
      expect(addresses, context).toEqual([topology!.hosts.client.address]);
      expect(proxiedBy, context).toEqual([topology!.hosts.balancer.address]);
    }, 90_000);
  });
}
