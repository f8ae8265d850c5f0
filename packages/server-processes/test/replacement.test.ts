import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TcpAddress } from '@switchyard/protocol';
import {
  type ConnectionFailure,
  ErrorCode,
  FrameTooLargeError,
  HandlerSetupFailedError,
  type ServerWarning,
  WorkerExitedError,
} from '@switchyard/protocol';
import { expect, onTestFinished, test } from 'vitest';
import { CONNECTION_ID_STRIDE } from '../src/index.js';
import {
  alive,
  client,
  fixture,
  roundTrip,
  runnableDistributions,
  startTwo,
  until,
} from './helpers.js';

test.each(runnableDistributions)(
  '%s: a process that dies is replaced, counted and told once, and the server serves on',
  async (distribution) => {
    const server = await startTwo(distribution);
    const warnings: ServerWarning[] = [];
    server.on('warning', (warning) => warnings.push(warning));
    const held = await client((server.address as TcpAddress).port);
    await roundTrip(held, 'before');
    const [first] = server.stats().processes;
    const victim = first!.pid;
    process.kill(victim, 'SIGKILL');
    await until(
      () => server.stats().processes[0]!.state === 'listening' && warnings.length > 0,
      'process 1 to be replaced',
    );
    const { processes, errors } = server.stats();
    expect(processes[0]!.pid).not.toBe(victim);
    expect(processes[0]!.exits).toBe(1);
    expect(processes[1]!.exits).toBe(0);
    expect(errors[ErrorCode.WORKER_EXITED]).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      kind: 'worker-exited',
      message: expect.stringMatching(
        new RegExp(`^process 1 \\(pid ${victim}\\) exited \\(signal SIGKILL\\).*; replacing it$`),
      ),
    });
    expect(warnings[0]!.error).toBeInstanceOf(WorkerExitedError);
    expect(alive(victim)).toBe(false);
    // Every connection from now on is served, whichever process it reaches.
    for (let index = 0; index < 4; index++) {
      const socket = await client((server.address as TcpAddress).port);
      expect(await roundTrip(socket, `after ${index}`)).toBe(`after ${index}`);
    }
  },
);

test('a replacement that cannot start is retried after a growing delay, not in a tight loop', async () => {
  const marker = join(tmpdir(), `switchyard-processes-${process.pid}-${Date.now()}`);
  onTestFinished(() => rmSync(marker, { force: true }));
  const server = await startTwo('rr', {
    handler: fixture('setup-fails-handler.ts'),
    handlerOptions: { marker },
  });
  const warnings: ServerWarning[] = [];
  server.on('warning', (warning) => warnings.push(warning));
  writeFileSync(marker, 'no more processes start');
  process.kill(server.stats().processes[1]!.pid, 'SIGKILL');
  await until(() => warnings.length >= 4, 'four warnings: the death, then three failed starts');
  rmSync(marker);
  await until(() => server.stats().processes[1]!.state === 'listening', 'process 2 to be back');
  const delays = warnings.map((warning) => /replacing it(?: in (\d+) ms)?/.exec(warning.message));
  expect(delays.slice(0, 4).map((match) => Number(match?.[1] ?? 0))).toEqual([0, 100, 200, 400]);
  // The start failure crossed two process boundaries with its class and code.
  expect(warnings[1]!.message).toMatch(
    /^process 2 \(pid \d+\) could not start: handler .* setup failed/,
  );
  expect(warnings[1]!.error!.cause).toBeInstanceOf(HandlerSetupFailedError);
  expect(server.stats().processes[1]!.exits).toBeGreaterThanOrEqual(4);
});

test("each process's failures reach the primary with their class, code and a server-unique id", async () => {
  const server = await startTwo('rr', { codec: 'lines', maxFrameBytes: 8 });
  const failures: ConnectionFailure[] = [];
  server.on('failure', (failure) => failures.push(failure));
  for (let index = 0; index < 2; index++) {
    const socket = await client((server.address as TcpAddress).port);
    socket.write('far longer than eight bytes\n');
  }
  await until(() => failures.length === 2, 'a failure from each connection');
  for (const failure of failures) {
    expect(failure.error).toBeInstanceOf(FrameTooLargeError);
    expect(failure.error.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    expect(failure.connectionId).toBeGreaterThan(CONNECTION_ID_STRIDE);
  }
  expect(new Set(failures.map((failure) => failure.connectionId)).size).toBe(2);
  await until(
    () => server.stats().errors[ErrorCode.FRAME_TOO_LARGE] === 2,
    'both failures in the stats',
  );
});
