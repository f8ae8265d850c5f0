import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  goodBytesIntact,
  resourcesReturned,
  servedUnderAttack,
  servingAtEnd,
} from '../src/invariants.js';
import type { ResourceSpan } from '../src/resources.js';
import { cleanPhases, phase } from './fixtures.js';

const MiB = 1024 * 1024;

describe('good bytes intact', () => {
  it('holds when no phase lost or garbled a byte', () => {
    expect(goodBytesIntact(cleanPhases())).toEqual({
      invariant: 'intact',
      status: 'pass',
      detail: '0 B lost, 0 B wrong',
      phases: [],
    });
  });

  it('breaks on one lost byte or one wrong one, naming the phases', () => {
    const phases = [
      phase('baseline', 'baseline'),
      phase('reset', 'attack', { lostBytes: 2048 }),
      phase('settle', 'settle', { wrongBytes: 1 }),
    ];
    expect(goodBytesIntact(phases)).toEqual({
      invariant: 'intact',
      status: 'fail',
      detail: '2 KiB lost, 1 B wrong (reset: 2 KiB lost, 0 B wrong; settle: 0 B lost, 1 B wrong)',
      phases: ['reset', 'settle'],
    });
  });
});

describe('alive and serving at the end', () => {
  const settle = phase('settle', 'settle');

  it('holds when good clients got replies while settling and a fresh connection did too', () => {
    expect(servingAtEnd({ settle, probe: undefined, exited: undefined }).status).toBe('pass');
  });

  it('breaks when the server exited, stopped replying, or refused a fresh connection', () => {
    expect(
      servingAtEnd({ settle, probe: undefined, exited: 'server exited: FATAL ERROR' }),
    ).toMatchObject({ status: 'fail', detail: 'server exited: FATAL ERROR', phases: [] });
    const silent = phase('settle', 'settle', { requests: 0, requestsPerSecond: 0 });
    expect(servingAtEnd({ settle: silent, probe: undefined, exited: undefined })).toMatchObject({
      status: 'fail',
      detail: 'good clients got no reply while it settled',
      phases: ['settle'],
    });
    expect(
      servingAtEnd({ settle, probe: 'connection failed: ECONNREFUSED', exited: undefined }),
    ).toMatchObject({
      status: 'fail',
      detail: 'a fresh connection afterwards: connection failed: ECONNREFUSED',
    });
  });
});

describe('memory bounded, fds back', () => {
  const span = (rss: [number, number, number], fds: [number, number, number]): ResourceSpan => ({
    rssBytes: { start: rss[0] * MiB, peak: rss[1] * MiB, end: rss[2] * MiB },
    fds: { start: fds[0], peak: fds[1], end: fds[2] },
  });

  it('holds with the peak within 512 MiB and the end within 64 MiB of RSS and 16 fds', () => {
    const verdict = resourcesReturned(span([60, 572, 124], [30, 2000, 46]), DEFAULT_THRESHOLDS);
    expect(verdict).toEqual({
      invariant: 'resources',
      status: 'pass',
      detail:
        'RSS 60 MiB -> peak 572 MiB (within +512 MiB) -> 124 MiB (within +64 MiB); fds 30 -> peak 2000 -> 46 (within +16)',
      phases: [],
    });
  });

  it('warns when RSS is still up at the end though its peak was bounded', () => {
    expect(resourcesReturned(span([60, 400, 125], [30, 30, 30]), DEFAULT_THRESHOLDS)).toMatchObject(
      {
        status: 'warn',
        detail: expect.stringContaining('125 MiB (over +64 MiB: heap the runtime grew'),
      },
    );
  });

  it('breaks on a peak past the bound, or fds left over', () => {
    expect(resourcesReturned(span([60, 573, 60], [30, 30, 30]), DEFAULT_THRESHOLDS)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('peak 573 MiB (over +512 MiB)'),
    });
    expect(resourcesReturned(span([60, 60, 60], [30, 80, 47]), DEFAULT_THRESHOLDS)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('47 (over +16)'),
    });
    expect(
      resourcesReturned(span([60, 70, 60], [30, 30, 30]), {
        rssSlackBytes: 8 * MiB,
        rssPeakSlackBytes: 8 * MiB,
        fdSlack: 0,
      }).status,
    ).toBe('fail');
  });

  it('allows each RSS slack to each serving process, each with a heap of its own', () => {
    const twoProcesses = { ...span([200, 1200, 310], [80, 100, 80]), servingProcesses: 2 };
    expect(resourcesReturned(twoProcesses, DEFAULT_THRESHOLDS)).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining(
        'peak 1200 MiB (within +1024 MiB) -> 310 MiB (within +128 MiB), the slacks for each of 2 serving processes',
      ),
    });
    const endAt = (end: number) => ({
      ...twoProcesses,
      rssBytes: { start: 200 * MiB, peak: 400 * MiB, end: end * MiB },
    });
    expect(resourcesReturned(endAt(329), DEFAULT_THRESHOLDS).status).toBe('warn');
    expect(
      resourcesReturned(
        { ...twoProcesses, rssBytes: { start: 200 * MiB, peak: 1225 * MiB, end: 200 * MiB } },
        DEFAULT_THRESHOLDS,
      ).status,
    ).toBe('fail');
  });

  it('is not measured for a server chaos did not start', () => {
    expect(resourcesReturned(undefined, DEFAULT_THRESHOLDS)).toMatchObject({
      status: 'not measured',
    });
  });
});

describe('good clients served under attack', () => {
  it("holds when every attack's second half kept at least 1% of the baseline's rate", () => {
    const phases = cleanPhases();
    phases[2] = phase('flood', 'attack', {}, { goodLate: { requests: 30, requestsPerSecond: 60 } });
    expect(servedUnderAttack(phases, DEFAULT_THRESHOLDS)).toEqual({
      invariant: 'under-attack',
      status: 'pass',
      detail:
        "the least in an attack's second half: 60/s during flood (1.2%; floor 1% of the baseline's 5000/s)",
      phases: [],
    });
  });

  it('breaks on an attack whose second half got nothing, whatever its start and the other phases did', () => {
    const phases = cleanPhases();
    phases[1] = phase(
      'dribble',
      'attack',
      { requests: 8, requestsPerSecond: 8 },
      { goodLate: { requests: 0, requestsPerSecond: 0 } },
    );
    expect(servedUnderAttack(phases, DEFAULT_THRESHOLDS)).toEqual({
      invariant: 'under-attack',
      status: 'fail',
      detail:
        "starved in the second half of dribble (0/s, 0.0%); floor 1% of the baseline's 5000/s",
      phases: ['dribble'],
    });
    // With no floor it is only about zero: still broken.
    expect(servedUnderAttack(phases, { minShareUnderAttack: 0 }).status).toBe('fail');
  });

  it('breaks on a stall that leaves a trickle under the floor, and not without a floor', () => {
    const phases = cleanPhases();
    phases[2] = phase('flood', 'attack', {}, { goodLate: { requests: 4, requestsPerSecond: 8 } });
    expect(servedUnderAttack(phases, DEFAULT_THRESHOLDS)).toMatchObject({
      status: 'fail',
      phases: ['flood'],
    });
    expect(servedUnderAttack(phases, { minShareUnderAttack: 0 }).status).toBe('pass');
  });

  it("judges attacks only: a silent baseline or settle is another invariant's business", () => {
    const phases = cleanPhases();
    phases[3] = phase('settle', 'settle', { requests: 0, requestsPerSecond: 0 });
    expect(servedUnderAttack(phases, DEFAULT_THRESHOLDS).status).toBe('pass');
  });

  it('is not measured when no attack ran', () => {
    const phases = [phase('baseline', 'baseline'), phase('settle', 'settle')];
    expect(servedUnderAttack(phases, DEFAULT_THRESHOLDS).status).toBe('not measured');
  });
});
