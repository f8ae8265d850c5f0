import { describe, expect, test } from 'vitest';
import { HeldBytes } from '../src/held-bytes.js';

describe('HeldBytes', () => {
  test('hands over every chunk appended, in order, then holds nothing', () => {
    const held = new HeldBytes(1024);
    for (const piece of ['one ', 'two ', 'three']) held.append(Buffer.from(piece));
    expect(held.length).toBe(13);
    expect(held.take().toString()).toBe('one two three');
    expect(held.length).toBe(0);
    expect(held.take()).toHaveLength(0);
  });

  test('a byte at a time fills one buffer, full at its capacity', () => {
    const held = new HeldBytes(100);
    const sent = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    for (let i = 0; i < 99; i++) held.append(sent.subarray(i, i + 1));
    expect(held.full).toBe(false);
    held.append(sent.subarray(99));
    expect(held.full).toBe(true);
    const taken = held.take();
    expect(taken.equals(sent)).toBe(true);
    // One allocation backs it, not a Buffer per byte.
    expect(taken.buffer.byteLength).toBe(100);
  });

  test('keeps the whole chunk that crosses its capacity', () => {
    const held = new HeldBytes(10);
    held.append(Buffer.from('12345'));
    held.append(Buffer.from('6789abcdef'));
    expect(held.full).toBe(true);
    expect(held.take().toString()).toBe('123456789abcdef');
  });

  test('copies what it is given: the caller may reuse its buffer', () => {
    const held = new HeldBytes(16);
    const chunk = Buffer.from('abc');
    held.append(chunk);
    chunk.fill(0);
    expect(held.take().toString()).toBe('abc');
  });
});
