import { once } from 'node:events';
import { connect } from 'node:net';
import { connectTarget } from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';
import { expect, test } from 'vitest';

test('smoke echo + half-close', async () => {
  const server = await selectorStrategy.listen({ codec: 'lines' });
  const sock = connect(connectTarget(server.address));
  await once(sock, 'connect');
  const chunks: Buffer[] = [];
  sock.on('data', (c) => chunks.push(c));
  sock.write('hello\nwor');
  sock.end('ld\n');
  await once(sock, 'end');
  expect(Buffer.concat(chunks).toString()).toBe('hello\nworld\n');
  await once(sock, 'close');
  expect(server.stats()).toMatchObject({ framesIn: 2, framesOut: 2, errors: {} });
  await server.close();
  await server.close();
  await server.destroy();
});
