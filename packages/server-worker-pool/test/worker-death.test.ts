import { type ConnectionFailure, ErrorCode, type ServerWarning } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { type Affinity, workerPoolStrategy } from '../src/index.js';
import { cleanup, client, goodClient, numberedLines, testHandler, until } from './helpers.js';

async function hostileOffload(affinity: Affinity = 'connection') {
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const server = cleanup(
    await workerPoolStrategy.listen({
      mode: 'offload',
      workers: 2,
      affinity,
      codec: 'lines',
      handler: testHandler('hostile'),
      handlerOptions: { shared: shared.buffer },
    }),
  );
  const failures: ConnectionFailure[] = [];
  const warnings: ServerWarning[] = [];
  server.on('failure', (failure) => failures.push(failure));
  server.on('warning', (warning) => warnings.push(warning));
  return { server, shared, failures, warnings };
}

describe.each<Affinity>(['connection', 'request'])('offload, affinity %s', (affinity) => {
  test('a worker killed under load loses only the request it was running; every other connection gets all its replies, in order', async () => {
    const { server, shared, failures, warnings } = await hostileOffload(affinity);
    // Both threads held, so that everything sent next queues in them, around the fatal request.
    const gates = [await client(server), await client(server)];
    for (const gate of gates) gate.socket.write('gate\n');
    await until(() => Atomics.load(shared, 0) === 2);

    const goods = await Promise.all(Array.from({ length: 8 }, () => client(server)));
    const doomed = await client(server);
    const doomedPort = doomed.socket.localPort;
    const firstHalf = goods.map((_, n) => numberedLines(`good${n}`, 100));
    const secondHalf = goods.map((_, n) => numberedLines(`good${n}`, 100, 100));
    const sent = goods.map((_, n) => firstHalf[n]! + secondHalf[n]!);
    // The fatal request queues behind half of the others' requests, and ahead of the rest.
    for (const [n, good] of goods.entries()) good.socket.write(firstHalf[n]!);
    await until(() => server.stats().framesIn === 2 + 8 * 100);
    doomed.socket.write('exit\n');
    await until(() => server.stats().framesIn === 2 + 8 * 100 + 1);
    for (const [n, good] of goods.entries()) good.socket.write(secondHalf[n]!);
    await until(() => server.stats().framesIn === 2 + 8 * 200 + 1);
    Atomics.store(shared, 2, 1);
    Atomics.notify(shared, 2);

    await doomed.closed;
    await Promise.all(goods.map((good, n) => good.expectReceived(sent[n]!)));
    await Promise.all(gates.map((gate) => gate.expectReceived('gate\n')));
    expect(failures).toEqual([
      expect.objectContaining({
        remotePort: doomedPort,
        error: expect.objectContaining({ code: ErrorCode.WORKER_EXITED }),
      }),
    ]);
    expect(server.stats().errors).toEqual({ [ErrorCode.WORKER_EXITED]: 1 });
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    expect(warning!.kind).toBe('worker-exited');
    expect(warning!.message).toMatch(
      /^worker \d exited: process\.exit\(3\) was called; 1 request it had started failed, [1-9]\d* requests? it had not started went to live workers; a new thread took its place$/,
    );
    // Where the thread called process.exit, from its own stack.
    expect((warning!.error!.cause as Error).stack).toMatch(/hostile\.ts/);
  });
});

test('offload: a throw from a timer in a worker is told once, with its message and stack, and costs no request', async () => {
  const { server, failures, warnings } = await hostileOffload();
  const load = ['a', 'b', 'c', 'd'].map((name) => goodClient(server, name, 2000, 20));
  const bomb = await client(server);
  bomb.socket.write('timer\n');
  await bomb.expectReceived('timer\n');
  await until(() => warnings.length > 0);
  await Promise.all(load);
  await goodClient(server, 'after', 200);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({
    kind: 'worker-exited',
    message: expect.stringMatching(
      /^worker \d crashed: thrown from a timer; 0 requests it had started failed, \d+ requests? it had not started went to live workers; a new thread took its place$/,
    ),
    error: { code: ErrorCode.WORKER_EXITED, cause: { message: 'thrown from a timer' } },
  });
  expect((warnings[0]!.error!.cause as Error).stack).toMatch(/explode .*hostile\.ts/);
  expect(failures).toEqual([]);
  expect(server.stats().errors).toEqual({});
});
