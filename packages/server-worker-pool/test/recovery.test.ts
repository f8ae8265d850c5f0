import { expect, test } from 'vitest';
import { sortOrphans } from '../src/recovery.js';

const requests = (...ids: number[]) => ids.map((requestId) => ({ requestId }));

test('requests up to the last one started are lost; the rest go to live workers, in order', () => {
  expect(sortOrphans(requests(4, 5, 9, 12, 13), 9)).toEqual({
    lost: requests(4, 5, 9),
    redispatch: requests(12, 13),
  });
});

test('a thread that started none of them loses none', () => {
  expect(sortOrphans(requests(7, 8), 6)).toEqual({ lost: [], redispatch: requests(7, 8) });
  expect(sortOrphans(requests(1, 2), 0)).toEqual({ lost: [], redispatch: requests(1, 2) });
});

test('a thread that started all of them (the last one running, async ones pending) loses all', () => {
  expect(sortOrphans(requests(3, 5, 8), 8)).toEqual({ lost: requests(3, 5, 8), redispatch: [] });
});

test('nothing unanswered: nothing to sort', () => {
  expect(sortOrphans([], 42)).toEqual({ lost: [], redispatch: [] });
});
