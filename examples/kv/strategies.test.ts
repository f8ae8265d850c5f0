import { ErrorCode, type RunningServer } from '@switchyard/protocol';
import { describe, expect, onTestFinished, test } from 'vitest';
import { LineClient } from '../support/line-client.js';
import { exampleTargets } from '../support/strategies.js';

const handler = new URL('./handler.mjs', import.meta.url).href;

const PIPELINED_KEYS = 200;
const INTERLEAVED_KEYS = 50;

let keyspaces = 0;

/**
 * A prefix no other test uses: servers on one thread share the handler module, and so its store.
 */
function keyspace(label: string): string {
  return `${label}-${++keyspaces}-`;
}

// Every strategy with its documented defaults (the worker pool's default affinity among them):
// only the codec, the handler and the pool's mode and size are chosen.
describe.each(exampleTargets)('kv on $name', (target) => {
  if (target.unsupported) {
    test.skip(target.unsupported);
    return;
  }
  const oneAtATime = target.strategy.capabilities.connections === 'one-at-a-time';

  async function start(options: Record<string, unknown> = {}): Promise<RunningServer> {
    const server = await target.strategy.listen({
      ...target.options,
      codec: 'lines',
      handler,
      ...options,
    });
    onTestFinished(() => server.destroy());
    return server;
  }

  test(`one connection sees every value of ${PIPELINED_KEYS} pipelined SETs in its GETs`, async () => {
    const server = await start();
    const client = await LineClient.connect(server);
    const prefix = keyspace('pipelined');
    const keys = Array.from({ length: PIPELINED_KEYS }, (_, i) => `${prefix}${i}`);
    const replies = await client.run(
      ...keys.map((key) => `SET ${key} value of ${key}`),
      ...keys.map((key) => `GET ${key}`),
    );
    expect(replies).toEqual([...keys.map(() => 'OK'), ...keys.map((key) => `value of ${key}`)]);
  });

  test('two connections interleaved each see their own writes', async () => {
    const server = await start();
    const a = await LineClient.connect(server);
    const b = await LineClient.connect(server);
    const keysOf = (client: string) => {
      const prefix = keyspace(`interleaved-${client}`);
      return Array.from({ length: INTERLEAVED_KEYS }, (_, i) => `${prefix}${i}`);
    };
    const [keysA, keysB] = [keysOf('a'), keysOf('b')];
    const expected = (keys: string[]) => [...keys.map(() => 'OK'), ...keys.map((key) => key)];
    if (oneAtATime) {
      // B's commands wait, already sent, until A's turn ends.
      for (let i = 0; i < INTERLEAVED_KEYS; i++) {
        a.send(`SET ${keysA[i]} ${keysA[i]}`);
        b.send(`SET ${keysB[i]} ${keysB[i]}`);
      }
      a.send(...keysA.map((key) => `GET ${key}`));
      b.send(...keysB.map((key) => `GET ${key}`));
      expect(await a.replies(2 * INTERLEAVED_KEYS)).toEqual(expected(keysA));
      a.end();
      expect(await b.replies(2 * INTERLEAVED_KEYS)).toEqual(expected(keysB));
      return;
    }
    // In lock step, so that the server sees the two connections' commands alternate.
    const replies = { a: [] as string[], b: [] as string[] };
    for (const verb of ['SET', 'GET']) {
      for (let i = 0; i < INTERLEAVED_KEYS; i++) {
        const args = (key: string | undefined) => (verb === 'SET' ? `${key} ${key}` : key);
        replies.a.push(...(await a.run(`${verb} ${args(keysA[i])}`)));
        replies.b.push(...(await b.run(`${verb} ${args(keysB[i])}`)));
      }
    }
    expect(replies.a).toEqual(expected(keysA));
    expect(replies.b).toEqual(expected(keysB));
  });

  test("STATS counts the connection's own commands (context.state)", async () => {
    const server = await start();
    const a = await LineClient.connect(server);
    const prefix = keyspace('stats');
    const commands = Array.from({ length: 20 }, (_, i) => `SET ${prefix}${i} x`);
    const [stats] = (await a.run(...commands, 'STATS')).slice(-1);
    expect(stats).toMatch(/^commands=21 keys=\d+$/);
    if (oneAtATime) a.end();
    const b = await LineClient.connect(server);
    expect(await b.run('STATS')).toEqual([expect.stringMatching(/^commands=1 keys=\d+$/)]);
  });

  test('setup preloads handlerOptions.seed on every thread that runs the handler', async () => {
    const server = await start({ handlerOptions: { seed: { motd: 'seeded on every thread' } } });
    // Several connections open at once, so that a pool spreads them over its workers; each ends
    // after its answer, so that a one-at-a-time server serves the next.
    const clients: LineClient[] = [];
    for (let i = 0; i < 4; i++) clients.push(await LineClient.connect(server));
    for (const client of clients) {
      expect(await client.run('GET motd')).toEqual(['seeded on every thread']);
      client.end();
    }
  });

  test('a seed it cannot store stops listen with the handler setup failure, message kept', async () => {
    const listening = start({ handlerOptions: { seed: ['not', 'an', 'object'] } });
    await expect(listening).rejects.toMatchObject({
      code: ErrorCode.HANDLER_SETUP_FAILED,
      message: expect.stringContaining('handlerOptions.seed must be an object'),
    });
  });
});
