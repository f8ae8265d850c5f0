import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { builtinHandlers, builtinWorkloads, loadCodec, loadWorkload } from '@switchyard/protocol';
import { describe, expect, it, onTestFinished } from 'vitest';
import { baselineContender, parseExternal, startServer } from '../src/contenders.js';
import { LoadRun, type LoadSpec } from '../src/load.js';
import { loadTraffic, makeTraffic } from '../src/traffic.js';
import { verifyService } from '../src/verify.js';

const echo = {
  workload: builtinWorkloads.echo,
  codec: 'raw',
  handler: builtinHandlers.echo,
  handlerOptions: {},
};

/** An echo server that listens on the path it is given and nowhere else. */
const pathOnlyEcho = parseExternal(
  `unix-echo=${process.execPath} -e "require('node:net').createServer((s) => s.pipe(s)).listen(process.argv[1])" {path}`,
);

async function started(contender = pathOnlyEcho) {
  const server = await startServer(contender, echo, { host: '127.0.0.1', readyTimeoutMs: 30_000 });
  onTestFinished(() => server.stop());
  return server;
}

async function echoTraffic() {
  const workload = await loadWorkload(builtinWorkloads.echo);
  return [makeTraffic(workload, await loadCodec('raw'), { size: 64, connections: 1, depth: 1 })];
}

describe('a contender on a Unix socket', () => {
  it('gets a fresh path in a folder of its own, is checked there, and the folder goes with it', async () => {
    const server = await started();
    const { path } = server;
    expect(path).toMatch(/switchyard-bench-.+\/server\.sock$/);
    expect(statSync(path!).isSocket()).toBe(true);
    expect(server.port).toBe(0);
    // Nothing listens on a TCP port: only the path answers.
    expect(
      await verifyService({ host: '127.0.0.1', port: 0, path }, await echoTraffic()),
    ).toBeUndefined();
    await server.stop();
    expect(existsSync(dirname(path!))).toBe(false);
  });

  it('carries a cell of load to the path, every reply checked', async () => {
    const server = await started();
    const spec: LoadSpec = {
      workload: builtinWorkloads.churn,
      codec: 'raw',
      cell: { size: 64, connections: 2, depth: 1 },
      host: '127.0.0.1',
      port: 0,
      path: server.path,
      pattern: 'churn',
      connections: 2,
      connectionOffset: 0,
      depth: 1,
    };
    const run = new LoadRun(spec, await loadTraffic(spec));
    onTestFinished(async () => {
      if (run.open) await run.stop(0);
    });
    await run.start();
    run.measure();
    while (run.completedSoFar < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await run.stop(5000);
    expect(result.errorSamples).toEqual([]);
    expect(result.requests).toBeGreaterThan(0);
  });

  it('the baseline listens on the path it is given and says so', async () => {
    const server = await started(baselineContender({ unixSocket: true }));
    expect(statSync(server.path!).isSocket()).toBe(true);
    expect(
      await verifyService({ host: '127.0.0.1', port: 0, path: server.path }, await echoTraffic()),
    ).toBeUndefined();
  });
});
