import { once } from 'node:events';
import { ErrorCode, type HandlerContext } from '@switchyard/protocol';
import { describe, expect, it, test } from 'vitest';
import { ConnectionContext } from '../src/connection-options.js';
import { collect, connectTo, deferred, startServer, until } from './helpers.js';

describe('replies', () => {
  test('are sent in request order when async handlers finish out of order', async () => {
    const owed = new Map<string, (reply: Buffer) => void>();
    const server = await startServer({
      codec: 'lines',
      dispatch: (request) => {
        const { promise, resolve } = deferred<Buffer>();
        owed.set(request.toString(), resolve);
        return promise;
      },
    });
    const client = await connectTo(server);
    const received = collect(client);
    client.end('a\nb\nc\n');
    await until(() => owed.size === 3);
    for (const line of ['c', 'b', 'a']) owed.get(line)!(Buffer.from(line.toUpperCase()));
    expect((await received).toString()).toBe('A\nB\nC\n');
  });

  test('mix sync and async handlers in request order', async () => {
    const server = await startServer({
      codec: 'lines',
      dispatch: (request) =>
        request[0] === 0x73 /* s */
          ? request
          : new Promise((resolve) => setTimeout(resolve, 5, request)),
    });
    const client = await connectTo(server);
    const received = collect(client);
    client.end('a1\ns2\na3\ns4\n');
    expect((await received).toString()).toBe('a1\ns2\na3\ns4\n');
  });

  test('maxInFlight=1 runs one handler call at a time, in order', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const order: string[] = [];
    const server = await startServer({
      codec: 'lines',
      maxInFlight: 1,
      dispatch: async (request) => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        order.push(request.toString());
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        return request;
      },
    });
    const client = await connectTo(server);
    const received = collect(client);
    const lines = Array.from({ length: 20 }, (_, i) => `${i}\n`);
    client.end(lines.join(''));
    expect((await received).toString()).toBe(lines.join(''));
    expect(mostAtOnce).toBe(1);
    expect(order).toEqual(lines.map((line) => line.trimEnd()));
  });

  test('the handler sees the connection in its context', async () => {
    let seen: HandlerContext | undefined;
    const server = await startServer({
      handlerOptions: { greeting: 'hi' },
      dispatch: (request, context) => {
        seen = context;
        return request;
      },
    });
    const client = await connectTo(server);
    client.write('x');
    await once(client, 'data');
    expect(seen).toMatchObject({
      connectionId: 1,
      remoteAddress: '127.0.0.1',
      remotePort: client.localPort,
      codec: 'raw',
      options: { greeting: 'hi' },
    });
  });

  test('after the client half-closes, every reply is delivered, then the server ends', async () => {
    const server = await startServer({
      codec: 'length-prefixed',
      dispatch: (request) => new Promise((resolve) => setImmediate(resolve, request)),
    });
    const client = await connectTo(server);
    const received = collect(client);
    const frame = Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63]);
    client.end(Buffer.concat([frame, frame]));
    expect(await received).toEqual(Buffer.concat([frame, frame]));
    await until(() => server.stats().active === 0);
    expect(server.stats().errors).toEqual({});
  });
});

describe('failures close only their connection', () => {
  test('a handler that throws closes its connection and counts SWITCHYARD_ERR_HANDLER_FAILED', async () => {
    const server = await startServer({
      codec: 'lines',
      dispatch: (request) => {
        if (request.toString() === 'boom') throw new Error('database connection lost');
        return request;
      },
    });
    const victim = await connectTo(server);
    const bystander = await connectTo(server);
    victim.write('boom\n');
    await once(victim, 'close');

    bystander.write('fine\n');
    const [echo] = await once(bystander, 'data');
    expect(String(echo)).toBe('fine\n');
    expect(server.stats().errors).toEqual({ [ErrorCode.HANDLER_FAILED]: 1 });
  });

  test('a handler that rejects or returns no bytes counts SWITCHYARD_ERR_HANDLER_FAILED', async () => {
    const server = await startServer({
      codec: 'lines',
      dispatch: (request) =>
        request.toString() === 'reject'
          ? Promise.reject(new Error('no'))
          : (request.toString() as unknown as Buffer),
    });
    for (const line of ['reject\n', 'string\n']) {
      const client = await connectTo(server);
      client.write(line);
      await once(client, 'close');
    }
    expect(server.stats().errors).toEqual({ [ErrorCode.HANDLER_FAILED]: 2 });
  });

  test('a frame over maxFrameBytes closes the connection and counts SWITCHYARD_ERR_FRAME_TOO_LARGE', async () => {
    const server = await startServer({ codec: 'lines', maxFrameBytes: 8 });
    const client = await connectTo(server);
    client.write('this line is longer than eight bytes\n');
    await once(client, 'close');
    await until(() => server.stats().active === 0);
    expect(server.stats().errors).toEqual({ [ErrorCode.FRAME_TOO_LARGE]: 1 });
  });

  test('a stream that ends inside a frame counts SWITCHYARD_ERR_TRUNCATED_FRAME', async () => {
    const server = await startServer({ codec: 'lines' });
    const client = await connectTo(server);
    client.end('no newline');
    await once(client, 'close');
    await until(() => server.stats().active === 0);
    expect(server.stats().errors).toEqual({ [ErrorCode.TRUNCATED_FRAME]: 1 });
  });
});

test('the server counts the bytes and frames in and out of its connections', async () => {
  const server = await startServer({ codec: 'lines', dispatch: () => Buffer.from('ok') });
  const client = await connectTo(server);
  const received = collect(client);
  client.end('hello\nworld\n');
  await received;
  expect(server.stats()).toMatchObject({ bytesIn: 12, bytesOut: 6, framesIn: 2, framesOut: 2 });
});

describe('ConnectionContext', () => {
  const peer = { remoteAddress: '127.0.0.1', remotePort: 4000 };

  it('makes `state` on first use and keeps it for the connection', () => {
    const context = new ConnectionContext(7, peer, 'lines', { a: 1 });
    expect(Object.keys(context)).not.toContain('state');
    const state = context.state;
    state.set('seen', 1);
    expect(context.state).toBe(state);
    expect(context.state.get('seen')).toBe(1);
  });

  it('names the client a PROXY header gave, keeping the connection id, codec and options', () => {
    const context = new ConnectionContext(7, peer, 'lines', { a: 1 });
    const proxied = context.withPeer({
      remoteAddress: '203.0.113.9',
      remotePort: 5555,
      proxiedBy: { address: '127.0.0.1', port: 4000 },
    });
    expect(proxied).toMatchObject({
      connectionId: 7,
      remoteAddress: '203.0.113.9',
      remotePort: 5555,
      proxiedBy: { address: '127.0.0.1', port: 4000 },
      codec: 'lines',
      options: { a: 1 },
    });
    expect(context.remoteAddress).toBe('127.0.0.1');
  });
});
