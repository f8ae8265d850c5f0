import { ErrorCode } from '@switchyard/protocol';
import { describe, expect, test, vi } from 'vitest';
import { connectClient, startServer } from './helpers.js';

/**
 * The conformance suite's containment cases keep a bystander connected while an offender is
 * served; one at a time, the bystander waits instead and must be served once the offender is
 * closed.
 */
describe('a failing client closes only itself, then the next in line is served', () => {
  test('a frame over maxFrameBytes', async () => {
    const server = await startServer({ codec: 'lines', maxFrameBytes: 16 });
    const offender = await connectClient(server);
    const next = await connectClient(server);
    next.socket.write('next\n');
    await vi.waitFor(() => expect(server.waiting).toBe(1));
    offender.socket.write('a line much longer than sixteen bytes\n');
    await offender.closed;
    await next.receive('next\n');
    expect(offender.received()).toBe('');
    expect(server.stats().errors[ErrorCode.FRAME_TOO_LARGE]).toBe(1);
  });

  test('a client that ends mid-frame', async () => {
    const server = await startServer({ codec: 'length-prefixed' });
    const offender = await connectClient(server);
    const next = await connectClient(server);
    next.socket.write(Buffer.from([0, 0, 0, 2, 0x68, 0x69]));
    await vi.waitFor(() => expect(server.waiting).toBe(1));
    offender.socket.end(Buffer.from([0, 0, 0, 100, 1, 2]));
    await offender.closed;
    await next.receive('hi');
    expect(server.stats().errors[ErrorCode.TRUNCATED_FRAME]).toBe(1);
  });

  test('a handler that throws', async () => {
    const server = await startServer({ codec: 'lines' }, (request) => {
      if (request.includes('BOOM')) throw new Error('boom');
      return request;
    });
    const offender = await connectClient(server);
    offender.socket.write('fine\n');
    await offender.receive('fine\n');
    const next = await connectClient(server);
    next.socket.write('next\n');
    await vi.waitFor(() => expect(server.waiting).toBe(1));
    offender.socket.write('BOOM\n');
    await offender.closed;
    await next.receive('next\n');
    expect(offender.received()).toBe('fine\n');
    expect(server.stats().errors[ErrorCode.HANDLER_FAILED]).toBe(1);
  });

  test('stats count every client served in turn, and active returns to zero', async () => {
    const server = await startServer({ codec: 'lines' });
    const clients = [await connectClient(server), await connectClient(server)];
    for (const client of clients) client.socket.write('frame one\nframe two\n');
    clients[0]!.socket.end();
    await clients[0]!.receive('frame one\nframe two\n');
    clients[1]!.socket.end();
    await clients[1]!.receive('frame one\nframe two\n');
    await Promise.all(clients.map((client) => client.closed));
    await vi.waitFor(() => expect(server.stats().active).toBe(0));
    expect(server.stats()).toMatchObject({
      accepted: 2,
      refused: 0,
      bytesIn: 40,
      bytesOut: 40,
      framesIn: 4,
      framesOut: 4,
      bufferedBytes: 0,
    });
  });
});
