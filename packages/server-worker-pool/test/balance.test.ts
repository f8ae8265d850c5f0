import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type OffloadLoad,
  pickLeastLoaded,
  pickOffloadWorker,
  pinnedWorker,
} from '../src/balance.js';

const costly = { handlerMicros: 200, messageMicros: 40 };
const cheap = { handlerMicros: 2, messageMicros: 40 };
const idle: OffloadLoad = { outstanding: 0, gathered: 0 };

test('no worker, no pick', () => {
  expect(pickOffloadWorker([], costly)).toBe(-1);
  expect(pickOffloadWorker([undefined, undefined], costly)).toBe(-1);
  expect(pickLeastLoaded([])).toBe(-1);
  expect(pickLeastLoaded([undefined])).toBe(-1);
});

test('costly requests spread: the idle worker wins over one holding a request', () => {
  expect(pickOffloadWorker([{ outstanding: 1, gathered: 1 }, idle], costly)).toBe(1);
});

test('cheap requests fill the message already being gathered before opening another', () => {
  expect(pickOffloadWorker([{ outstanding: 5, gathered: 5 }, idle], cheap)).toBe(0);
  // Once its queue is worth more than a message, the other worker gets one.
  expect(pickOffloadWorker([{ outstanding: 25, gathered: 25 }, idle], cheap)).toBe(1);
});

test('ties go to the lowest index; empty slots are skipped', () => {
  expect(pickOffloadWorker([idle, idle], costly)).toBe(0);
  expect(pickOffloadWorker([undefined, idle, idle], costly)).toBe(1);
  expect(pickLeastLoaded([2, 1, 1])).toBe(1);
  expect(pickLeastLoaded([undefined, 3, 0])).toBe(2);
});

test('the pick always has the lowest score of the live workers', () => {
  const load = fc.option(
    fc.record({ outstanding: fc.nat(100), gathered: fc.nat(100) }).map((l) => ({
      outstanding: Math.max(l.outstanding, l.gathered),
      gathered: l.gathered,
    })),
    { nil: undefined },
  );
  fc.assert(
    fc.property(fc.array(load, { maxLength: 8 }), fc.nat(1000), (loads, handlerMicros) => {
      const costs = { handlerMicros, messageMicros: 40 };
      const picked = pickOffloadWorker(loads, costs);
      const score = (l: OffloadLoad) =>
        l.outstanding * handlerMicros + (l.gathered === 0 ? costs.messageMicros : 0);
      const live = loads.flatMap((l, i) => (l ? [[i, score(l)] as const] : []));
      if (live.length === 0) return picked === -1;
      const lowest = Math.min(...live.map(([, s]) => s));
      return picked === live.find(([, s]) => s === lowest)![0];
    }),
  );
});

test('least loaded is the first of the fewest connections', () => {
  fc.assert(
    fc.property(fc.array(fc.option(fc.nat(50), { nil: undefined })), (counts) => {
      const picked = pickLeastLoaded(counts);
      const live = counts.flatMap((c, i) => (c === undefined ? [] : [[i, c] as const]));
      if (live.length === 0) return picked === -1;
      const fewest = Math.min(...live.map(([, c]) => c));
      return picked === live.find(([, c]) => c === fewest)![0];
    }),
  );
});

describe('pinnedWorker', () => {
  const both = ['worker 0', 'worker 1'];
  const pick = 1;

  test('connection affinity keeps the pinned worker while its slot has one', () => {
    expect(pinnedWorker('connection', 0, both) ?? pick).toBe(0);
    expect(pinnedWorker('connection', undefined, both) ?? pick).toBe(1);
    expect(pinnedWorker('connection', 0, [undefined, 'worker 1']) ?? pick).toBe(1);
  });

  test('request affinity always picks afresh', () => {
    expect(pinnedWorker('request', 0, both) ?? pick).toBe(1);
  });
});
