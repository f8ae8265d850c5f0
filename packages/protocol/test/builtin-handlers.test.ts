import fc from 'fast-check';
import { beforeEach, describe, expect, test, vi } from 'vitest';
import burn, { DEFAULT_BURN_ROUNDS } from '../src/handlers/burn.js';
import echo from '../src/handlers/echo.js';
import { type HandlerContext, isSwitchyardError } from '../src/index.js';
import { thrownBy } from './support/streams.js';

// Counts hash rounds by counting the one-shot hashes burn computes, and keeps the last digest.
const hashes = vi.hoisted(() => ({ created: 0, last: undefined as Buffer | undefined }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    hash: (...args: Parameters<typeof crypto.hash>) => {
      hashes.created++;
      const digest = crypto.hash(...args);
      hashes.last = Buffer.from(digest as string, 'binary');
      return digest;
    },
  };
});

beforeEach(() => {
  hashes.created = 0;
  hashes.last = undefined;
});

const contextWith = (options: Record<string, unknown> = {}): HandlerContext => ({
  connectionId: 7,
  remoteAddress: '127.0.0.1',
  remotePort: 40000,
  codec: 'length-prefixed',
  options,
  state: new Map(),
});

describe('echo handler', () => {
  test('replies with the request, unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const request = Buffer.from(bytes);
        expect(echo(request, contextWith())).toBe(request);
      }),
      { numRuns: 50 },
    );
  });
});

describe('burn handler', () => {
  test('replies with the request unchanged, so it is verified like echo', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat({ max: 4 }), (bytes, rounds) => {
        const request = Buffer.from(bytes);
        const copy = Buffer.from(request);
        expect(burn(request, contextWith({ rounds }))).toBe(request);
        expect(request).toEqual(copy);
      }),
      { numRuns: 50 },
    );
  });

  test('hashes DEFAULT_BURN_ROUNDS times when no rounds option is given', () => {
    burn(Buffer.alloc(1024), contextWith());
    expect(hashes.created).toBe(DEFAULT_BURN_ROUNDS);
  });

  test.each([0, 1, 5, 200])('honours rounds = %i', (rounds) => {
    burn(Buffer.from('abc'), contextWith({ rounds }));
    expect(hashes.created).toBe(rounds);
  });

  test('chains the rounds: each hashes the previous digest followed by the request', async () => {
    const { createHash } = await vi.importActual<typeof import('node:crypto')>('node:crypto');
    const request = Buffer.from('the same work on every strategy');
    let expected = Buffer.alloc(32);
    for (let round = 0; round < 3; round++) {
      expected = createHash('sha256').update(expected).update(request).digest();
    }
    burn(request, contextWith({ rounds: 3 }));
    expect(hashes.last).toEqual(expected);
  });

  test('accepts rounds given as a numeric string, as a command line passes it', () => {
    burn(Buffer.from('abc'), contextWith({ rounds: '3' }));
    expect(hashes.created).toBe(3);
  });

  test.each([-1, 1.5, 'many', Number.NaN])(
    'rejects rounds = %o with SWITCHYARD_ERR_INVALID_OPTION instead of burning nothing',
    (rounds) => {
      const error = thrownBy(() => burn(Buffer.from('abc'), contextWith({ rounds })));
      expect(isSwitchyardError(error, 'SWITCHYARD_ERR_INVALID_OPTION')).toBe(true);
      expect(hashes.created).toBe(0);
    },
  );
});
