import type { TcpAddress } from '@switchyard/protocol';
import { ErrorCode, isSwitchyardError } from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import {
  alive,
  client,
  fixture,
  pidsOf,
  roundTrip,
  runnableDistributions,
  startTwo,
  until,
} from './helpers.js';

describe.each(runnableDistributions)('%s', (distribution) => {
  test('close() delivers every reply owed in every process, then every process has exited', async () => {
    const server = await startTwo(distribution, {
      handler: fixture('delayed-handler.ts'),
      handlerOptions: { delayMs: 300 },
    });
    const pids = pidsOf(server);
    const clients = await Promise.all(
      [1, 2, 3, 4].map(() => client((server.address as TcpAddress).port)),
    );
    const replies = clients.map((socket, index) => roundTrip(socket, `request ${index}`));
    await until(() => server.stats().framesIn === 4, 'every request to reach a handler');
    const perProcess = server.stats().processes.map((each) => each.stats.accepted);
    expect(perProcess.reduce((sum, count) => sum + count)).toBe(4);
    // Round-robin hands connections out in turn: each process has some.
    if (distribution === 'rr') expect(Math.min(...perProcess)).toBeGreaterThan(0);
    await server.close();
    expect(await Promise.all(replies)).toEqual([
      'request 0',
      'request 1',
      'request 2',
      'request 3',
    ]);
    // The last stats each process sent before it exited are all counted.
    const { framesOut, accepted, active, processes } = server.stats();
    expect({ framesOut, accepted, active }).toEqual({ framesOut: 4, accepted: 4, active: 0 });
    expect(processes.map((each) => each.state)).toEqual(['exited', 'exited']);
    expect(processes.map((each) => each.stats.accepted)).toEqual(perProcess);
    expect(pids.filter(alive)).toEqual([]);
  });

  test('destroy() closes every connection at once, unanswered, and leaves no process', async () => {
    const server = await startTwo(distribution, {
      handler: fixture('delayed-handler.ts'),
      handlerOptions: { delayMs: 60_000 },
    });
    const pids = pidsOf(server);
    const clients = await Promise.all(
      [1, 2].map(() => client((server.address as TcpAddress).port)),
    );
    const received: string[] = [];
    const closed = clients.map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.on('data', (chunk: Buffer) => received.push(chunk.toString()));
          socket.once('close', () => resolve());
        }),
    );
    for (const socket of clients) socket.write('never answered');
    await until(() => server.stats().framesIn === 2, 'both requests to reach a handler');
    await server.destroy();
    await Promise.all(closed);
    expect(received).toEqual([]);
    expect(pids.filter(alive)).toEqual([]);
  });

  test('close() past its timeout destroys what is left and rejects with SWITCHYARD_ERR_CLOSE_TIMEOUT', async () => {
    const server = await startTwo(distribution, {
      handler: fixture('delayed-handler.ts'),
      handlerOptions: { delayMs: 60_000 },
    });
    const pids = pidsOf(server);
    const socket = await client((server.address as TcpAddress).port);
    const gone = new Promise((resolve) => socket.once('close', resolve));
    socket.write('never answered');
    await until(() => server.stats().framesIn === 1, 'the request to reach a handler');
    const error = await server.close({ timeoutMs: 200 }).catch((caught: unknown) => caught);
    expect(isSwitchyardError(error, ErrorCode.CLOSE_TIMEOUT)).toBe(true);
    await gone;
    expect(server.stats().errors[ErrorCode.CLOSE_TIMEOUT]).toBe(1);
    expect(pids.filter(alive)).toEqual([]);
  });
});

test('close and destroy are idempotent and may be mixed', async () => {
  const server = await startTwo('rr');
  const closing = server.close();
  expect(server.close()).toBe(closing);
  await Promise.all([closing, server.destroy(), server.destroy()]);
  await server.close();
});
