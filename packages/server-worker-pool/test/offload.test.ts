import { expect, test } from 'vitest';
import { workerPoolStrategy } from '../src/index.js';
import { cleanup, client } from './helpers.js';

test('echoes lines from many connections, each in request order', async () => {
  const server = cleanup(
    await workerPoolStrategy.listen({ mode: 'offload', workers: 2, codec: 'lines' }),
  );
  const clients = await Promise.all(Array.from({ length: 10 }, () => client(server)));
  const expected = clients.map((c, i) => {
    const lines = Array.from({ length: 200 }, (_, n) => `c${i}-${n}\n`).join('');
    c.socket.write(lines);
    return lines;
  });
  const got = await Promise.all(clients.map((c, i) => c.read(expected[i]!.length)));
  expect(got).toEqual(expected);
  expect(server.stats().framesIn).toBe(2000);
  await server.close();
});
