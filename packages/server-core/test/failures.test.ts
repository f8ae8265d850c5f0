import { once } from 'node:events';
import {
  type Codec,
  type ConnectionFailure,
  ErrorCode,
  linesCodec,
  MalformedFrameError,
} from '@switchyard/protocol';
import { describe, expect, test } from 'vitest';
import { collect, connectTo, readBytes, startServer, until } from './helpers.js';

/** A lines codec whose decoder throws what `fail` makes of a line reading `bad`. */
function failingCodec(fail: () => unknown): Codec {
  return {
    name: 'picky',
    createDecoder(limits) {
      const lines = linesCodec.createDecoder(limits);
      return {
        push(chunk) {
          const frames = lines.push(chunk);
          if (frames.some((frame) => frame.toString() === 'bad')) throw fail();
          return frames;
        },
        end: () => lines.end(),
        get bufferedBytes() {
          return lines.bufferedBytes;
        },
      };
    },
    encode: linesCodec.encode,
  };
}

function failuresOf(server: { on(event: 'failure', l: (f: ConnectionFailure) => void): unknown }) {
  const seen: ConnectionFailure[] = [];
  server.on('failure', (failure) => seen.push(failure));
  return seen;
}

describe('the failure event', () => {
  test('a handler failure arrives with its message, cause, connection id and address', async () => {
    const cause = new Error('database connection lost');
    const server = await startServer({
      codec: 'lines',
      dispatch: () => {
        throw cause;
      },
    });
    const seen = failuresOf(server);
    const client = await connectTo(server);
    const clientPort = client.localPort;
    client.write('GET user:1\n');
    await once(client, 'close');
    await until(() => seen.length === 1);
    const [failure] = seen;
    expect(failure).toMatchObject({
      connectionId: server.accepted[0]!.id,
      remoteAddress: '127.0.0.1',
      remotePort: clientPort,
    });
    expect(failure!.error).toMatchObject({
      code: ErrorCode.HANDLER_FAILED,
      message: 'handler failed: database connection lost',
      cause,
    });
    expect(server.stats().errors).toEqual({ [ErrorCode.HANDLER_FAILED]: 1 });
  });

  test('a frame over the limit is counted and emitted once', async () => {
    const server = await startServer({ codec: 'lines', maxFrameBytes: 4 });
    const seen = failuresOf(server);
    const client = await connectTo(server);
    client.write('much too long\n');
    await once(client, 'close');
    await until(() => seen.length === 1);
    expect(seen[0]!.error.code).toBe(ErrorCode.FRAME_TOO_LARGE);
  });
});

describe("a user codec's failures", () => {
  test('a plain error from its decoder is MALFORMED_FRAME with the cause; a bystander is served', async () => {
    const thrown = new RangeError('length field out of range');
    const server = await startServer({ codecObject: failingCodec(() => thrown) });
    const seen = failuresOf(server);
    const offender = await connectTo(server);
    const bystander = await connectTo(server);
    offender.write('fine\nbad\n');
    await once(offender, 'close');
    bystander.write('still here\n');
    expect((await readBytes(bystander, 11)).toString()).toBe('still here\n');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.error).toMatchObject({
      code: ErrorCode.MALFORMED_FRAME,
      message: 'codec picky failed: length field out of range',
      cause: thrown,
    });
    expect(server.stats().errors).toEqual({ [ErrorCode.MALFORMED_FRAME]: 1 });
  });

  test('a MalformedFrameError from its decoder stays itself', async () => {
    const own = new MalformedFrameError('expected a digit, got "x"');
    const server = await startServer({ codecObject: failingCodec(() => own) });
    const seen = failuresOf(server);
    const client = await connectTo(server);
    client.write('bad\n');
    await once(client, 'close');
    await until(() => seen.length === 1);
    expect(seen[0]!.error).toBe(own);
  });

  test('a reply the codec cannot encode closes the connection as MALFORMED_FRAME', async () => {
    const server = await startServer({ codec: 'lines', dispatch: () => Buffer.from('two\nlines') });
    const seen = failuresOf(server);
    const client = await connectTo(server);
    const received = collect(client);
    client.write('hello\n');
    expect((await received).toString()).toBe('');
    await until(() => seen.length === 1);
    expect(seen[0]!.error.code).toBe(ErrorCode.MALFORMED_FRAME);
    expect(seen[0]!.error.message).toContain('newline');
  });
});

describe('context.state', () => {
  test('is one Map per connection, kept across its requests', async () => {
    const server = await startServer({
      codec: 'lines',
      dispatch: (request, context) => {
        const count = ((context.state.get('count') as number | undefined) ?? 0) + 1;
        context.state.set('count', count);
        return Buffer.from(`${request} ${count}`);
      },
    });
    const first = await connectTo(server);
    const second = await connectTo(server);
    first.write('a\nb\n');
    expect((await readBytes(first, 8)).toString()).toBe('a 1\nb 2\n');
    second.write('c\n');
    expect((await readBytes(second, 4)).toString()).toBe('c 1\n');
  });
});
