import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS } from '../src/invariants.js';
import { CHAOS_REPORT_SCHEMA, type ChaosReport } from '../src/report.js';
import { renderChaosReport } from '../src/table.js';
import { phase } from './fixtures.js';

const MiB = 1024 * 1024;

function report(overrides: Partial<ChaosReport> = {}): ChaosReport {
  return {
    schema: CHAOS_REPORT_SCHEMA,
    name: 'selector',
    host: '127.0.0.1',
    port: 7000,
    started: true,
    service: { workload: 'echo', codec: 'length-prefixed', handler: 'echo' },
    good: {
      pattern: 'stream',
      connections: 4,
      depth: 1,
      size: 1024,
      why: 'it serves connections concurrently',
    },
    durationMs: 2000,
    thresholds: DEFAULT_THRESHOLDS,
    skipped: [{ attack: 'slowloris', reason: 'holds its connections' }],
    phases: [
      phase(
        'baseline',
        'baseline',
        {},
        {
          resources: {
            rssBytes: { start: 60 * MiB, peak: 61 * MiB, end: 61 * MiB },
            fds: { start: 30, peak: 30, end: 30 },
          },
        },
      ),
      phase(
        'dribble',
        'attack',
        { lostBytes: 1024, errorSamples: ['server closed a connection with 1 requests in flight'] },
        {
          goodLate: { requests: 0, requestsPerSecond: 0 },
          attack: { connections: 16, bytesSent: 2048, endedByServer: 16, failedToConnect: 2 },
        },
      ),
      phase('settle', 'settle'),
    ],
    verdicts: [
      { invariant: 'intact', status: 'fail', detail: '1 KiB lost, 0 B wrong', phases: ['dribble'] },
      { invariant: 'serving', status: 'pass', detail: 'ok', phases: [] },
      { invariant: 'resources', status: 'not measured', detail: 'not sampled', phases: [] },
      { invariant: 'under-attack', status: 'fail', detail: 'none', phases: ['dribble'] },
    ],
    passed: false,
    ...overrides,
  };
}

describe('the chaos table', () => {
  it('has a row per phase with its figures, what the attack did and which invariant it broke', () => {
    const text = renderChaosReport(report());
    const rows = text.split('\n');
    expect(rows[0]).toBe(
      'selector (127.0.0.1:7000): echo over length-prefixed; 4 good connections (1 KiB requests) because it serves connections concurrently; 2000 ms per phase',
    );
    const row = (name: string) => rows.find((line) => line.startsWith(`│ ${name} `))!;
    expect(row('baseline')).toMatch(
      /│ 5\.00k +│ +│ 400 us +│ 0 B +│ 0 B +│ 60\/61\/61 +│ 30\/30\/30 +│ +│ ok +│/,
    );
    expect(row('dribble')).toMatch(
      /│ 1 KiB +│ 0 B +│ - +│ - +│ 16 conn, 2 KiB sent, 16 ended by server, 2 refused +│ BYTES LOST\/WRONG, GOOD CLIENTS STARVED +│/,
    );
    expect(row('dribble')).toMatch(/│ 5\.00k +│ 0\.00 +│/);
    expect(text).toContain('skipped slowloris: holds its connections');
    expect(text).toContain('  dribble: server closed a connection with 1 requests in flight');
    expect(text).toContain('  FAIL good bytes intact: 1 KiB lost, 0 B wrong');
    expect(text).toContain('  n/a  memory bounded, fds back: not sampled');
    expect(rows.at(-1)).toBe('result: FAIL (2 of 4 invariants broke)');
  });

  it('says so when every invariant held', () => {
    const text = renderChaosReport(report({ passed: true, verdicts: [] }));
    expect(text.split('\n').at(-1)).toBe('result: pass');
  });

  it('gives an errored run one line with the reason instead of a table', () => {
    const text = renderChaosReport(
      report({ error: 'verification failed: wrong reply', phases: [] }),
    );
    expect(text.split('\n').slice(1)).toEqual([
      'errored: verification failed: wrong reply',
      'result: FAIL (the run could not be made)',
    ]);
  });
});
