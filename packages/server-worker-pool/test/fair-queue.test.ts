import { describe, expect, test } from 'vitest';
import { FairQueue } from '../src/fair-queue.js';

const filled = (...items: [key: number, item: string][]) => {
  const queue = new FairQueue<string>();
  for (const [key, item] of items) queue.push(key, item);
  return queue;
};
const takeAll = (queue: FairQueue<string>) => {
  const taken: string[] = [];
  for (let item = queue.take(); item !== undefined; item = queue.take()) taken.push(item);
  return taken;
};

describe('FairQueue', () => {
  test('takes one item of each key in turn, each key in its own order', () => {
    const queue = filled([1, 'a1'], [1, 'a2'], [1, 'a3'], [2, 'b1'], [3, 'c1'], [3, 'c2']);
    expect(queue.size).toBe(6);
    expect(takeAll(queue)).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
    expect(queue.size).toBe(0);
  });

  test('a key with one item waits behind at most one item of each other key', () => {
    const queue = new FairQueue<string>();
    for (let i = 0; i < 1000; i++) queue.push(1, `flood${i}`);
    queue.take();
    queue.push(2, 'single');
    expect(queue.take()).toBe('flood1');
    expect(queue.take()).toBe('single');
  });

  test('a key that comes back after emptying joins the back of the turn', () => {
    const queue = filled([1, 'a1'], [2, 'b1'], [2, 'b2']);
    expect(queue.take()).toBe('a1');
    queue.push(1, 'a2');
    expect(takeAll(queue)).toEqual(['b1', 'a2', 'b2']);
  });

  test('extract takes out what matches and keeps the rest in order and in turn', () => {
    const queue = filled([1, 'old-a'], [1, 'new-a'], [2, 'old-b'], [3, 'new-c']);
    expect(queue.extract((item) => item.startsWith('old'))).toEqual(['old-a', 'old-b']);
    expect(queue.size).toBe(2);
    expect(takeAll(queue)).toEqual(['new-a', 'new-c']);
  });

  test('drain gives every item, each key in order, and empties it', () => {
    const queue = filled([1, 'a1'], [2, 'b1'], [1, 'a2']);
    queue.take();
    expect(queue.drain()).toEqual(['b1', 'a2']);
    expect(queue.size).toBe(0);
    expect(queue.take()).toBeUndefined();
  });
});
