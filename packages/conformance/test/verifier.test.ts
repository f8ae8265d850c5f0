import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BlockSource, pseudoRandomBytes } from '../src/bytes.js';
import { ReplyVerifier } from '../src/verifier.js';

const RUNS = { numRuns: 150 };

/** Replies of 1 to 64 bytes each, 1 to 8 of them. */
const replies = fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), {
  minLength: 1,
  maxLength: 8,
});
const cuts = fc.array(fc.nat(), { maxLength: 12 });

/** Cuts `bytes` at the given offsets (modulo its length + 1, sorted; empty chunks allowed). */
function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = offsets.map((offset) => offset % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

function verifierFor(expected: readonly Uint8Array[]): ReplyVerifier {
  const verifier = new ReplyVerifier();
  for (const reply of expected) verifier.expect(reply);
  return verifier;
}

describe('reply verifier', () => {
  test('completes every reply, in order, however the stream is cut', () => {
    fc.assert(
      fc.property(replies, cuts, (expected, offsets) => {
        const verifier = verifierFor(expected);
        const stream = Buffer.concat(expected);
        let completed = 0;
        for (const chunk of cutAt(stream, offsets)) {
          expect(verifier.consume(chunk, () => completed++)).toBeUndefined();
        }
        expect(completed).toBe(expected.length);
        expect(verifier.pending).toBe(0);
        expect(verifier.verifiedBytes).toBe(stream.length);
      }),
      RUNS,
    );
  });

  test('reports the reply, offset and bytes of the first wrong byte, however the stream is cut', () => {
    fc.assert(
      fc.property(replies, cuts, fc.nat(), (expected, offsets, pick) => {
        const verifier = verifierFor(expected);
        const stream = Buffer.concat(expected);
        const wrongAt = pick % stream.length;
        const corrupted = Buffer.from(stream);
        corrupted[wrongAt]! ^= 0x20;
        let reply = 0;
        let start = 0;
        while (wrongAt >= start + expected[reply]!.length) start += expected[reply++]!.length;

        let mismatch: ReturnType<ReplyVerifier['consume']>;
        let completed = 0;
        for (const chunk of cutAt(corrupted, offsets)) {
          mismatch ??= verifier.consume(chunk, () => completed++);
        }
        expect(mismatch).toMatchObject({
          kind: 'differs',
          reply,
          offset: wrongAt - start,
          length: expected[reply]!.length,
          expected: stream[wrongAt],
          actual: corrupted[wrongAt],
        });
        expect(completed).toBe(reply);
        expect(verifier.verifiedBytes).toBeLessThanOrEqual(wrongAt);
      }),
      RUNS,
    );
  });

  test('describes a wrong byte, naming the reply when there are several', () => {
    const single = verifierFor([Buffer.from('abc')]);
    expect(single.consume(Buffer.from('abC'))?.message).toBe(
      "byte 2 of 3 differs (expected 0x63 'c', got 0x43 'C')",
    );
    const several = verifierFor([Buffer.from('abc'), Buffer.from('de\n')]);
    expect(several.consume(Buffer.from('abcde\r'))?.message).toBe(
      'reply 2: byte 2 of 3 differs (expected 0x0a, got 0x0d)',
    );
  });

  test('reports bytes that arrive with no reply expected', () => {
    const idle = new ReplyVerifier();
    expect(idle.consume(Buffer.from('x'))).toMatchObject({ kind: 'unexpected', count: 1 });

    const verifier = verifierFor([Buffer.from('ab'), Buffer.from('cd')]);
    let completed = 0;
    const mismatch = verifier.consume(Buffer.from('abcdef'), () => completed++);
    expect(completed).toBe(2);
    expect(mismatch).toMatchObject({ kind: 'unexpected', count: 2, actual: 0x65 });
    expect(mismatch?.message).toBe(
      "received more than the 4 bytes expected (2 more, next byte 0x65 'e')",
    );
  });

  test('a mismatch sticks: the stream is out of step after it', () => {
    const verifier = verifierFor([Buffer.from('ab'), Buffer.from('cd')]);
    const first = verifier.consume(Buffer.from('aX'));
    let completed = 0;
    expect(verifier.consume(Buffer.from('cd'), () => completed++)).toBe(first);
    expect(verifier.mismatch).toBe(first);
    expect(completed).toBe(0);
    expect(verifier.pending).toBe(2);
  });

  test('verifies a reply made on demand, across its block boundaries', () => {
    const blocks = new BlockSource(4, 1000, (index) => pseudoRandomBytes(1000, index + 1));
    const stream = Buffer.concat([0, 1, 2, 3].map((index) => blocks.block(index)));
    const verifier = new ReplyVerifier();
    verifier.expect(blocks);
    for (const chunk of cutAt(stream, [999, 1001, 2500, 2501])) {
      expect(verifier.consume(chunk)).toBeUndefined();
    }
    expect(verifier.pending).toBe(0);

    const corrupted = Buffer.from(stream);
    corrupted[2999]! ^= 1;
    const again = new ReplyVerifier();
    again.expect(blocks);
    expect(again.consume(corrupted)).toMatchObject({ kind: 'differs', reply: 0, offset: 2999 });
  });

  test('keeps up with a long stream of replies, sent and answered one at a time', () => {
    const request = Buffer.from('ping\n');
    const verifier = new ReplyVerifier();
    let completed = 0;
    for (let index = 0; index < 5000; index++) {
      verifier.expect(request);
      expect(verifier.consume(request, () => completed++)).toBeUndefined();
      expect(verifier.pending).toBe(0);
    }
    verifier.expect(request);
    verifier.expect(Buffer.from('pong\n'));
    expect(verifier.consume(Buffer.from('ping\npo'), () => completed++)).toBeUndefined();
    expect(verifier.pending).toBe(1);
    expect(verifier.consume(Buffer.from('ng\n'), () => completed++)).toBeUndefined();
    expect(completed).toBe(5002);
  });

  test('refuses an empty expected reply: it has no byte to verify', () => {
    expect(() => new ReplyVerifier().expect(Buffer.alloc(0))).toThrow(RangeError);
  });
});
