import { getHeapStatistics } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_FRAME_TIMEOUT_MS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FRAME_BYTES,
  defaultServerBudgetBytes,
  InvalidOptionError,
  resolveServerOptions,
  type ServerOptions,
} from '../src/index.js';
import { thrownBy } from './support/streams.js';

describe('resolveServerOptions', () => {
  test('fills in every default', () => {
    expect(resolveServerOptions()).toEqual({
      host: '127.0.0.1',
      port: 0,
      codec: 'raw',
      handler: 'echo',
      handlerOptions: {},
      maxConnections: DEFAULT_MAX_CONNECTIONS,
      idleTimeoutMs: 0,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      noDelay: true,
      maxBufferedBytesPerConnection: DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION,
      maxServerBufferedBytes: defaultServerBudgetBytes(),
      frameTimeoutMs: DEFAULT_FRAME_TIMEOUT_MS,
      handlerTimeoutMs: DEFAULT_HANDLER_TIMEOUT_MS,
      proxyProtocol: 'off',
      reusePort: false,
      tls: undefined,
    });
    expect(DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION).toBe(1024 * 1024);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(10_000);
    // With the defaults a partial frame never takes a connection past its cap.
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(DEFAULT_MAX_BUFFERED_BYTES_PER_CONNECTION);
    // A quarter of the heap limit: far below the point where V8 aborts the process.
    expect(defaultServerBudgetBytes()).toBe(Math.floor(getHeapStatistics().heap_size_limit / 4));
  });

  test('keeps every valid value it is given', () => {
    const options = {
      host: '::1',
      port: 65535,
      codec: 'length-prefixed',
      handler: './my-handler.js',
      handlerOptions: { rounds: 3 },
      maxConnections: 0,
      idleTimeoutMs: 250,
      maxFrameBytes: 0xffff_ffff,
      noDelay: false,
      maxBufferedBytesPerConnection: 1,
      maxServerBufferedBytes: 1,
      frameTimeoutMs: 0,
      handlerTimeoutMs: 5,
      proxyProtocol: 'any',
      reusePort: true,
    } as const;
    expect(resolveServerOptions(options)).toEqual(options);
  });

  test('accepts any non-negative integer for counts and sizes', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 65535 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 2 ** 31 }),
        (port, maxConnections, idleTimeoutMs, maxFrameBytes, maxBuffered) => {
          const resolved = resolveServerOptions({
            port,
            maxConnections,
            idleTimeoutMs,
            maxFrameBytes,
            maxBufferedBytesPerConnection: maxBuffered,
          });
          expect(resolved).toMatchObject({ port, maxConnections, idleTimeoutMs, maxFrameBytes });
          expect(resolved.maxBufferedBytesPerConnection).toBe(maxBuffered);
        },
      ),
      { numRuns: 100 },
    );
  });

  const invalid: [keyof ServerOptions, unknown][] = [
    ['port', -1],
    ['port', 1.5],
    ['port', 65536],
    ['port', Number.NaN],
    ['port', '7000'],
    ['maxFrameBytes', -1],
    ['maxFrameBytes', 2 ** 32],
    ['maxFrameBytes', Number.POSITIVE_INFINITY],
    ['maxConnections', -1],
    ['maxConnections', 2.5],
    ['maxConnections', Number.NaN],
    ['idleTimeoutMs', -5],
    ['idleTimeoutMs', 0.5],
    ['maxBufferedBytesPerConnection', 0],
    ['maxBufferedBytesPerConnection', -1],
    ['maxServerBufferedBytes', 0],
    ['maxServerBufferedBytes', 1.5],
    ['frameTimeoutMs', -1],
    ['handlerTimeoutMs', 0.5],
    ['host', ''],
    ['host', 127001],
    ['handler', ''],
    ['handler', 42],
    ['noDelay', 'false'],
    ['proxyProtocol', 'v3'],
    ['proxyProtocol', true],
    ['reusePort', 1],

    ['handlerOptions', [1, 2]],
    ['handlerOptions', 'rounds=3'],
  ];

  test.each(invalid)('rejects %s = %o with SWITCHYARD_ERR_INVALID_OPTION', (name, value) => {
    const error = thrownBy(() => resolveServerOptions({ [name]: value } as ServerOptions));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: name });
  });

  test('keeps a codec name that is not built in as a module reference, loaded later', () => {
    expect(resolveServerOptions({ codec: 'my-codecs/resp' }).codec).toBe('my-codecs/resp');
  });

  test('takes a codec object, and refuses a value that is not a codec', () => {
    const codec = { name: 'mine', createDecoder: () => ({}) as never, encode: Buffer.from };
    expect(resolveServerOptions({ codec }).codec).toBe(codec);
    for (const value of [7, { name: 'half', encode: Buffer.from }]) {
      const error = thrownBy(() => resolveServerOptions({ codec: value } as never));
      expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'codec' });
    }
  });

  test.each([
    ['hanlder', 'handler'],
    ['maxWaitng', undefined],
    ['maxFrameByte', 'maxFrameBytes'],
  ])('refuses the unknown key %s with SWITCHYARD_ERR_INVALID_OPTION naming it', (key, guess) => {
    const error = thrownBy(() => resolveServerOptions({ [key]: 1 } as never));
    expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: key });
    if (guess) expect((error as Error).message).toContain(`did you mean ${guess}?`);
  });

  test("accepts the strategy's own keys, which it checks itself", () => {
    expect(() => resolveServerOptions({ maxWaiting: 3 } as never, ['maxWaiting'])).not.toThrow();
    const error = thrownBy(() => resolveServerOptions({ maxWaitng: 3 } as never, ['maxWaiting']));
    expect((error as Error).message).toContain('did you mean maxWaiting?');
  });

  test('accepts an infinite maxConnections (no limit)', () => {
    const resolved = resolveServerOptions({ maxConnections: Number.POSITIVE_INFINITY });
    expect(resolved.maxConnections).toBe(Number.POSITIVE_INFINITY);
  });
});
