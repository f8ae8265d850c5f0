import { describe, expect, it } from 'vitest';
import { fairnessOf, isUnfair, standing, UNFAIR_SHARE, worstFairness } from '../src/verdicts.js';

describe('fairness of one window', () => {
  it('flags a blocking-style server: one of 10 connections served, 9 got no reply', () => {
    const fairness = fairnessOf([5000, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(fairness).toEqual({ connections: 10, zeroReplyConnections: 9, slowestShare: 0 });
    expect(isUnfair(fairness)).toBe(true);
  });

  it('passes an even split', () => {
    const fairness = fairnessOf(Array.from({ length: 10 }, () => 500));
    expect(fairness).toEqual({ connections: 10, zeroReplyConnections: 0, slowestShare: 1 });
    expect(isUnfair(fairness)).toBe(false);
  });

  it('passes a split that is uneven within a quarter of an even share', () => {
    // Slowest: 100 of an even 250 is 40% of its due.
    const fairness = fairnessOf([100, 300, 300, 300]);
    expect(fairness.slowestShare).toBeCloseTo(0.4);
    expect(isUnfair(fairness)).toBe(false);
  });

  it('flags a connection served under a quarter of its share even though it got replies', () => {
    const fairness = fairnessOf([10, 330, 330, 330]);
    expect(fairness.zeroReplyConnections).toBe(0);
    expect(fairness.slowestShare).toBeCloseTo(0.04);
    expect(fairness.slowestShare).toBeLessThan(UNFAIR_SHARE);
    expect(isUnfair(fairness)).toBe(true);
  });

  it('calls a single answered connection fair, and a single unanswered one starved', () => {
    expect(fairnessOf([1234])).toEqual({
      connections: 1,
      zeroReplyConnections: 0,
      slowestShare: 1,
    });
    expect(isUnfair(fairnessOf([1234]))).toBe(false);
    const silent = fairnessOf([0]);
    expect(silent).toEqual({ connections: 1, zeroReplyConnections: 1, slowestShare: 0 });
    expect(isUnfair(silent)).toBe(true);
  });

  it('flags a window where nothing was answered at all', () => {
    const fairness = fairnessOf([0, 0, 0]);
    expect(fairness).toEqual({ connections: 3, zeroReplyConnections: 3, slowestShare: 0 });
    expect(isUnfair(fairness)).toBe(true);
  });
});

describe('worst fairness over runs', () => {
  it('takes the most starved connections and the smallest slowest share, from any run', () => {
    const worst = worstFairness([
      fairnessOf([100, 100, 100, 100]),
      fairnessOf([400, 0, 0, 0]),
      fairnessOf([10, 330, 330, 330]),
    ]);
    expect(worst).toEqual({ connections: 4, zeroReplyConnections: 3, slowestShare: 0 });
    expect(isUnfair(worst!)).toBe(true);
  });

  it('keeps a fair set fair', () => {
    const worst = worstFairness([fairnessOf([100, 90]), fairnessOf([95, 100])])!;
    expect(worst.zeroReplyConnections).toBe(0);
    expect(worst.slowestShare).toBeCloseTo(180 / 190);
    expect(isUnfair(worst)).toBe(false);
  });

  it('has nothing to say about no runs', () => {
    expect(worstFairness([])).toBeUndefined();
  });
});

describe('standing against the best contender', () => {
  it('calls overlapping runs within noise, with the ratio of medians', () => {
    expect(standing([90, 100, 110], [100, 105, 115])).toEqual({
      kind: 'within-noise',
      ratio: expect.closeTo(100 / 105),
    });
  });

  it('calls runs that touch at one point within noise', () => {
    expect(standing([80, 90, 100], [100, 110, 120]).kind).toBe('within-noise');
  });

  it('calls disjoint runs behind: even its best run is under the worst run of the best', () => {
    const place = standing([50, 55, 60], [100, 105, 110]);
    expect(place).toEqual({ kind: 'behind', ratio: 55 / 105 });
  });

  it('cannot tell a lead from noise with fewer than two runs on either side', () => {
    expect(standing([50], [100, 105, 110])).toEqual({ kind: 'unknown', ratio: 50 / 105 });
    expect(standing([50, 55], [100])).toEqual({ kind: 'unknown', ratio: 52.5 / 100 });
    expect(standing([], [])).toEqual({ kind: 'unknown', ratio: 0 });
  });

  it('gives a ratio of 0 against a best whose runs measured nothing', () => {
    expect(standing([0, 0], [0, 0])).toEqual({ kind: 'within-noise', ratio: 0 });
  });
});
