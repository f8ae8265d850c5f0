import { describe, expect, it } from 'vitest';
import { formatStanding, LEGEND, renderReport, renderWorkloadTable } from '../src/table.js';
import { fakeReport, fakeRuns, measured, oneCellWorkload } from './fixtures.js';

/** The table line of `contender` (names in these tests appear nowhere else in a table). */
function rowOf(table: string, contender: string): string {
  const row = table.split('\n').find((line) => line.includes(contender));
  if (row === undefined) throw new Error(`no row for ${contender} in\n${table}`);
  return row;
}

/** Replies per connection of one window: `served` connections got 100 each, the rest none. */
function replies(connections: number, served: number): number[] {
  return Array.from({ length: connections }, (_, index) => (index < served ? 100 : 0));
}

describe('bench table', () => {
  it('prints a table per workload with every column, best first, errors shown', () => {
    const report = fakeReport();
    const table = renderWorkloadTable(report.workloads[0]!);
    for (const column of [
      'contender',
      'req/s',
      '+-',
      'MB/s',
      'p50',
      'p99',
      'CPU us/req',
      'RSS',
      'vs best',
      'client CPU',
      'notes',
    ]) {
      expect(table).toContain(column);
    }
    const lines = table.split('\n');
    const baseline = lines.findIndex((line) => line.includes('baseline'));
    const selector = lines.findIndex((line) => line.includes('selector'));
    expect(baseline).toBeLessThan(selector);
    expect(lines[baseline]).toContain('best');
    // One run each: the ratio is printed, but marked as too few runs to tell.
    expect(lines[selector]).toContain('0.50x ?');
    expect(lines[selector]).toContain('measures the client');
    expect(table).toContain('errored: verification failed');
  });

  it('says in the notes how many connections a contender starved', () => {
    const table = renderWorkloadTable(
      oneCellWorkload([
        measured('evenly', fakeRuns([1, 1, 1], { perConnection: replies(10, 10) })),
        measured('blocking', fakeRuns([2, 2, 2], { perConnection: replies(10, 1) })),
      ]),
    );
    expect(rowOf(table, 'blocking')).toContain('starved: 9/10 conn got 0 replies');
    expect(rowOf(table, 'evenly')).not.toContain('starved');
  });

  it('ranks a contender that starved connections after every one that served them all', () => {
    const table = renderWorkloadTable(
      oneCellWorkload([
        measured('blocking', fakeRuns([3, 3, 3], { perConnection: replies(10, 1) })),
        measured('evenly', fakeRuns([1, 1, 1], { perConnection: replies(10, 10) })),
      ]),
    );
    const lines = table.split('\n');
    expect(lines.indexOf(rowOf(table, 'evenly'))).toBeLessThan(
      lines.indexOf(rowOf(table, 'blocking')),
    );
    // Its higher figure is no lead: the fair contender is the best, the starved one is measured
    // against it.
    expect(rowOf(table, 'evenly')).toContain('best');
    expect(rowOf(table, 'blocking')).toContain('3.00x');
  });

  it('says when the slowest connection got far less than its share, though something', () => {
    const table = renderWorkloadTable(
      oneCellWorkload([
        measured('greedy', fakeRuns([1, 1], { perConnection: [10, 330, 330, 330] })),
      ]),
    );
    expect(rowOf(table, 'greedy')).toContain('starved: slowest conn got 4% of an even share');
  });

  it('marks a ratio whose runs overlap the best as within noise', () => {
    const table = renderWorkloadTable(
      oneCellWorkload([
        measured('leader', fakeRuns([2.0, 2.1, 2.2])),
        measured('close', fakeRuns([1.8, 1.9, 2.0])),
      ]),
    );
    expect(rowOf(table, 'leader')).toContain('best');
    expect(rowOf(table, 'close')).toContain(`${(1.9 / 2.1).toFixed(2)}x ~`);
  });

  it('prints a bare ratio when every run is behind every run of the best', () => {
    const table = renderWorkloadTable(
      oneCellWorkload([
        measured('leader', fakeRuns([2.0, 2.1, 2.2])),
        measured('slow', fakeRuns([1.0, 1.05, 1.1])),
      ]),
    );
    expect(rowOf(table, 'slow')).toMatch(/0\.50x(?! [~?])/);
  });

  it('shows requests left unanswered, summed over runs', () => {
    const runs = [...fakeRuns([1], { unanswered: 9 }), ...fakeRuns([1], { unanswered: 3 })];
    const table = renderWorkloadTable(oneCellWorkload([measured('forgetful', runs)]));
    expect(rowOf(table, 'forgetful')).toContain('12 unanswered');
  });

  it('warns when throughput was still moving when the warm-up ran out', () => {
    const unsteady = fakeRuns([1, 1], { warmup: { ms: 3000, steady: false } });
    const table = renderWorkloadTable(oneCellWorkload([measured('drifting', unsteady)]));
    expect(rowOf(table, 'drifting')).toContain('unsteady after 3000 ms warm-up');
  });

  it('heads a churn table conn/s and shows a skipped contender with its reason', () => {
    const table = renderWorkloadTable(
      oneCellWorkload(
        [
          measured('selector', fakeRuns([1, 1])),
          {
            contender: 'fixed',
            status: 'skipped',
            error: 'serves one service',
            runs: [],
          },
        ],
        'conn/s',
      ),
    );
    expect(table.split('\n').find((line) => line.includes('contender'))).toContain('conn/s');
    expect(rowOf(table, 'fixed')).toContain('skipped: serves one service');
  });

  it('puts the machine and the warm-up rule above the tables and the legend below', () => {
    const text = renderReport(fakeReport());
    expect(text).toContain(`Node ${process.version}`);
    expect(text).toContain('warm-up 300-3000 ms until two 300 ms windows agree within 10%');
    expect(text.endsWith(LEGEND)).toBe(true);
  });

  it('formats every standing', () => {
    expect(formatStanding({ kind: 'best' })).toBe('best');
    expect(formatStanding({ kind: 'behind', ratio: 0.5 })).toBe('0.50x');
    expect(formatStanding({ kind: 'within-noise', ratio: 0.97 })).toBe('0.97x ~');
    expect(formatStanding({ kind: 'unknown', ratio: 0.8 })).toBe('0.80x ?');
  });
});
