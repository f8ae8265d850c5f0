import { builtinWorkloads } from '@switchyard/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { LoadRun, type LoadSpec } from '../src/load.js';
import { agreeWithin, mergeLoadResults } from '../src/load-pool.js';
import { loadTraffic } from '../src/traffic.js';
import { fairnessOf, isUnfair } from '../src/verdicts.js';
import { echoServer, flipLastByte, listenForTest } from './servers.js';

const UPPER = new URL('./workloads/upper.mjs', import.meta.url).href;

/** Long enough for replies already on the wire to arrive; a drain ends early once none is owed. */
const DRAIN_MS = 5000;

/** A stream load of 64 B echo requests, depth 1, against `port`. */
function loadSpec(port: number, overrides: Partial<LoadSpec> = {}): LoadSpec {
  const connections = overrides.connections ?? 2;
  return {
    workload: builtinWorkloads.echo,
    codec: 'raw',
    cell: { size: 64, connections, depth: 1 },
    host: '127.0.0.1',
    port,
    pattern: 'stream',
    connections,
    connectionOffset: 0,
    depth: 1,
    ...overrides,
  };
}

/** A run of `spec` in this process, stopped when the test ends if the test did not stop it. */
async function loadRun(spec: LoadSpec): Promise<LoadRun> {
  const run = new LoadRun(spec, await loadTraffic(spec));
  onTestFinished(async () => {
    if (run.open) await run.stop(0);
  });
  return run;
}

describe('warm-up settling', () => {
  it('takes two rates within the given percent of the larger as agreeing', () => {
    expect(agreeWithin(100, 95, 10)).toBe(true);
    expect(agreeWithin(95, 100, 10)).toBe(true);
    expect(agreeWithin(100, 90, 10)).toBe(true);
    expect(agreeWithin(100, 89, 10)).toBe(false);
    expect(agreeWithin(89, 100, 10)).toBe(false);
  });

  it('takes two idle windows as agreeing, and idle against busy as not', () => {
    expect(agreeWithin(0, 0, 10)).toBe(true);
    expect(agreeWithin(0, 5, 10)).toBe(false);
    expect(agreeWithin(5, 0, 50)).toBe(false);
  });
});

describe('load run', () => {
  it('counts the connections a starving server never answers, and what they sent in warm-up', async () => {
    // Like a blocking server: it serves the first connection and leaves the others waiting.
    const server = await echoServer({ answers: (index) => index === 0 });
    const run = await loadRun(loadSpec(server.port, { connections: 10 }));
    // Every connection has connected and sent its first request once start resolves.
    await run.start();
    await server.answeredAtLeast(20);
    run.measure();
    await server.answeredAtLeast(server.answered + 50);
    // The drain waits out its bound here: the starved connections never stop owing a reply.
    const result = await run.stop(200);

    expect(result.perConnection).toHaveLength(10);
    expect(result.perConnection.filter((count) => count > 0)).toHaveLength(1);
    expect(result.requests).toBe(result.perConnection.reduce((total, count) => total + count, 0));
    expect(result.requests).toBeGreaterThan(0);
    // Each reply is counted once: never more than the server sent.
    expect(result.requests).toBeLessThanOrEqual(server.answered);
    const fairness = fairnessOf(result.perConnection);
    expect(fairness.zeroReplyConnections).toBe(9);
    expect(isUnfair(fairness)).toBe(true);
    // The 9 requests sent during warm-up count; the served connection may add its last one if
    // its reply missed the 200 ms drain on a busy machine.
    expect(result.unanswered).toBeGreaterThanOrEqual(9);
    expect(result.unanswered).toBeLessThanOrEqual(10);
    expect(result.errors).toBe(0);
    // What was never answered never will be: lost, byte for byte.
    expect(result.lostBytes).toBe(result.unanswered * 64);
    expect(result.wrongBytes).toBe(0);
    // Their age is in the latency tail: older than the whole window.
    const { latencyUs } = mergeLoadResults([result]);
    expect(latencyUs.max).toBeGreaterThanOrEqual(result.elapsedMs * 1000);
  });

  it('spreads replies over every connection of a server that serves them all, owing nothing', async () => {
    const server = await echoServer();
    const run = await loadRun(loadSpec(server.port, { connections: 4 }));
    await run.start();
    run.measure();
    await server.answeredAtLeast(server.answered + 200);
    const result = await run.stop(DRAIN_MS);

    expect(result.perConnection).toHaveLength(4);
    expect(result.perConnection.every((count) => count > 0)).toBe(true);
    expect(isUnfair(fairnessOf(result.perConnection))).toBe(false);
    expect(result.unanswered).toBe(0);
    expect(result.errors).toBe(0);
    expect(result.requests).toBeLessThanOrEqual(server.answered);
    expect(result.bytes).toBe(result.requests * 64);
  });

  it('counts a corrupted reply as an error and goes on over a new connection', async () => {
    const server = await echoServer({
      reply: (chunk, count) => (count === 20 ? flipLastByte(chunk) : chunk),
    });
    const run = await loadRun(loadSpec(server.port));
    await run.start();
    run.measure();
    await server.answeredAtLeast(200);
    const result = await run.stop(DRAIN_MS);
    expect(result.errors).toBe(1);
    expect(result.errorSamples[0]).toMatch(
      /^wrong reply to request .+ \(64 B\): (reply \d+: )?byte 63 of 64 differs/,
    );
    // The wrong reply's request is wrong; at depth 1 nothing else was in flight to lose.
    expect(result.wrongBytes).toBe(64);
    expect(result.lostBytes).toBe(0);
    // The broken connection was replaced: replies kept completing after the error.
    expect(result.requests).toBeGreaterThan(20);
    expect(result.perConnection).toHaveLength(2);
  });

  it("checks every reply of a check-based workload with its oracle, over the workload's codec", async () => {
    const upperCase = (chunk: Buffer) =>
      Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1');
    const server = await echoServer({ reply: upperCase });
    const spec = loadSpec(server.port, {
      workload: UPPER,
      codec: 'lines',
      cell: { connections: 2, depth: 1 },
    });
    const run = await loadRun(spec);
    await run.start();
    run.measure();
    await server.answeredAtLeast(100);
    const result = await run.stop(DRAIN_MS);
    expect(result.errorSamples).toEqual([]);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.unanswered).toBe(0);
  });

  it('reports the wrong replies of a check-based workload with request, reply and reason', async () => {
    const server = await echoServer();
    const spec = loadSpec(server.port, {
      workload: UPPER,
      codec: 'lines',
      cell: { connections: 2, depth: 1 },
    });
    const run = await loadRun(spec);
    await run.start();
    run.measure();
    await server.answeredAtLeast(10);
    const result = await run.stop(DRAIN_MS);
    expect(result.requests).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
    expect(result.errorSamples[0]).toMatch(
      /^wrong reply to request "hello from \d, request 0" \(23 B\): got "hello from \d, request 0" \(23 B\): expected the request in upper case$/,
    );
  });

  it('measures churn: connect, one request, close, with no errors and latencies recorded', async () => {
    const server = await echoServer();
    const run = await loadRun(
      loadSpec(server.port, { workload: builtinWorkloads.churn, pattern: 'churn' }),
    );
    await run.start();
    run.measure();
    await server.answeredAtLeast(20);
    const result = await run.stop(DRAIN_MS);
    expect(result.errors).toBe(0);
    expect(result.requests).toBeGreaterThan(0);
    expect(result.perConnection).toHaveLength(2);
    expect(mergeLoadResults([result]).latencyUs.count).toBeGreaterThan(0);
  });

  it('counts what was in flight on a connection the server closed as lost, and carries on', async () => {
    let closed = false;
    const port = await listenForTest((socket) => {
      let chunks = 0;
      socket.on('data', (chunk: Buffer) => {
        // The 10th request of the first connection gets no reply: its connection is closed.
        if (++chunks === 10 && !closed) {
          closed = true;
          socket.destroy();
        } else socket.write(chunk);
      });
    });
    const run = await loadRun(loadSpec(port, { connections: 1 }));
    await run.start();
    run.measure();
    await until(() => closed && run.completedSoFar > 50);
    const result = await run.stop(DRAIN_MS);
    expect(result.lostBytes).toBe(64);
    expect(result.wrongBytes).toBe(0);
    expect(result.errorSamples).toEqual(['server closed a connection with 1 requests in flight']);
  });

  it('cuts consecutive windows over the same connections, each request in one window only', async () => {
    // Holds the reply to one request until told, so that it is in flight at a cut.
    let holding = false;
    let held: (() => void) | undefined;
    let accepted = 0;
    const port = await listenForTest((socket) => {
      accepted++;
      socket.on('data', (chunk: Buffer) => {
        if (holding && !held) held = () => socket.write(chunk);
        else socket.write(chunk);
      });
    });
    const run = await loadRun(loadSpec(port, { connections: 1 }));
    await run.start();
    run.measure();
    await until(() => run.completedSoFar >= 20);
    holding = true;
    await until(() => held !== undefined);
    const first = run.window();
    held!();
    const before = run.completedSoFar;
    await until(() => run.completedSoFar >= before + 20);
    const second = await run.stop(DRAIN_MS);

    expect(accepted).toBe(1);
    expect(first.requests).toBeGreaterThanOrEqual(20);
    expect(second.requests).toBeGreaterThanOrEqual(20);
    // A window's latencies are of the requests sent in it. At depth 1 on one connection: the
    // first window answers one request sent before it opened (no latency there) and is cut with
    // the held one in flight (its age at the cut is its latency); the second answers the held
    // one (already recorded) and leaves one to the drain (sent in it, so recorded in it).
    const latencies = (result: typeof first) => mergeLoadResults([result]).latencyUs.count;
    expect(latencies(first)).toBe(first.requests);
    expect(latencies(second)).toBe(second.requests);
    expect(first.lostBytes + second.lostBytes + first.errors + second.errors).toBe(0);
  });
});

/** Resolves once `condition` holds, polling it every few ms: for states no event announces. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
