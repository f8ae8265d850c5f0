import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TcpAddress } from '@switchyard/protocol';
import { childProcessArgs, siblingModule } from '@switchyard/server-core';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  alive,
  client,
  pidsOf,
  roundTrip,
  runnableDistributions,
  startTwo,
  until,
} from './helpers.js';

describe.each(runnableDistributions)('%s', (distribution) => {
  test('when the program that started the processes is killed, every one of them exits', async () => {
    const program = spawn(
      process.execPath,
      [...childProcessArgs(siblingModule(import.meta.url, './fixtures/primary.ts')), distribution],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    onTestFinished(() => {
      program.kill('SIGKILL');
    });
    const [line] = (await once(createInterface({ input: program.stdout! }), 'line')) as [string];
    const { port, supervisorPid, pids } = JSON.parse(line) as {
      port: number;
      supervisorPid: number;
      pids: number[];
    };
    expect(await roundTrip(await client(port), 'served')).toBe('served');
    const everyone = [supervisorPid, ...pids];
    expect(everyone.filter(alive)).toEqual(everyone);
    onTestFinished(() => {
      for (const pid of everyone.filter(alive)) process.kill(pid, 'SIGKILL');
    });
    program.kill('SIGKILL');
    await until(() => everyone.every((pid) => !alive(pid)), 'every process to exit');
  });

  test("SIGINT and SIGTERM to a child (a terminal's Ctrl-C reaches the group) leave it to the primary", async () => {
    const server = await startTwo(distribution);
    const warnings: unknown[] = [];
    server.on('warning', (warning) => warnings.push(warning));
    const pids = pidsOf(server);
    for (const pid of pids) {
      process.kill(pid, 'SIGINT');
      process.kill(pid, 'SIGTERM');
    }
    // A signal is handled before the next message on the same process: a round trip to each
    // process after them shows they are still there.
    for (let index = 0; index < 4; index++) {
      expect(
        await roundTrip(await client((server.address as TcpAddress).port), `still ${index}`),
      ).toBe(`still ${index}`);
    }
    expect(pids.filter(alive)).toEqual(pids);
    expect(warnings).toEqual([]);
    await server.close();
    expect(pids.filter(alive)).toEqual([]);
  });
});
