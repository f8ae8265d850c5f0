import { describe, expect, it } from 'vitest';
import { benchContenders, parseExternal } from '../src/contenders.js';
import { quickDefaults } from '../src/plan.js';
import { REPORT_SCHEMA } from '../src/report.js';
import { renderReport, renderWorkloadTable } from '../src/table.js';
import { benchOptionsFrom, hasErrors } from '../src/commands/bench.js';
import { contenders } from '../src/registry.js';
import { fakeReport } from './fixtures.js';

describe('bench contenders', () => {
  it('takes every contender from the registry, plus baseline and external commands', () => {
    const list = benchContenders({
      strategies: 'all',
      baseline: true,
      externals: ['py=python3 echo.py {port}'],
    });
    expect(list.map((contender) => contender.name)).toEqual([
      'baseline',
      ...contenders().map((contender) => contender.name),
      'py',
    ]);
    const selector = list.find((contender) => contender.name === 'selector')!;
    const { args } = selector.command(
      { codec: 'length-prefixed', handler: 'burn', burnRounds: 8 },
      '127.0.0.1',
      0,
    );
    expect(args).toEqual(
      expect.arrayContaining(['serve', '--strategy', 'selector', '--port', '0']),
    );
    expect(args.join(' ')).toContain('--codec length-prefixed --handler burn --burn-rounds 8');
  });

  it('runs external commands through sh with the port filled in, echo workloads only', () => {
    const external = parseExternal('go=./echo-server -port {port}');
    expect(external.command({ codec: 'raw', handler: 'echo' }, '127.0.0.1', 7007)).toEqual({
      command: 'sh',
      args: ['-c', './echo-server -port 7007'],
    });
    expect(external.supports({ codec: 'raw', handler: 'echo' })).toBe(true);
    expect(external.supports({ codec: 'length-prefixed', handler: 'burn' })).toBe(false);
    expect(() => parseExternal('nameless')).toThrow(/--external/);
    expect(() => parseExternal('x=server --port 7000')).toThrow(/\{port\}/);
  });
});

describe('bench options', () => {
  it('lays flags over the preset', () => {
    const options = benchOptionsFrom({
      quick: true,
      sizes: '1k,100k',
      runs: '3',
      external: ['a=b {port}'],
    });
    expect(options.sizes).toEqual([1024, 102_400]);
    expect(options.runs).toBe(3);
    expect(options.durationMs).toBe(quickDefaults.durationMs);
    expect(options.externals).toEqual(['a=b {port}']);
  });
});

describe('bench output', () => {
  it('prints a table per workload with every column, best first, errors shown', () => {
    const report = fakeReport();
    const table = renderWorkloadTable(report.workloads[0]!);
    for (const column of [
      'contender',
      'req/s',
      '+-',
      'p50',
      'p99',
      'CPU us/req',
      'RSS',
      'vs best',
      'client CPU',
    ]) {
      expect(table).toContain(column);
    }
    const lines = table.split('\n');
    const baseline = lines.findIndex((line) => line.includes('baseline'));
    const selector = lines.findIndex((line) => line.includes('selector'));
    expect(baseline).toBeLessThan(selector);
    expect(lines[baseline]).toContain('best');
    expect(lines[selector]).toContain('0.50x');
    expect(lines[selector]).toContain('measures the client');
    expect(table).toContain('errored: verification failed');
    expect(renderReport(report)).toContain(`Node ${process.version}`);
    expect(hasErrors(report)).toBe(true);
  });

  it('keeps raw figures and the environment in the JSON report', () => {
    const json = JSON.parse(JSON.stringify(fakeReport()));
    expect(json.schema).toBe(REPORT_SCHEMA);
    expect(Object.keys(json.environment)).toEqual(
      expect.arrayContaining(['node', 'cpuModel', 'cores', 'kernel']),
    );
    expect(json.options.runs).toBe(quickDefaults.runs);
    const run = json.workloads[0].cells[0].results[0].runs[0];
    expect(Object.keys(run)).toEqual(
      expect.arrayContaining([
        'requestsPerSecond',
        'megabytesPerSecond',
        'latencyUs',
        'serverCpuMicrosPerRequest',
        'serverPeakRssBytes',
        'loadCpuPercent',
        'errors',
      ]),
    );
    expect(Object.keys(run.latencyUs)).toEqual([
      'p50',
      'p90',
      'p99',
      'p999',
      'max',
      'mean',
      'count',
    ]);
  });
});
