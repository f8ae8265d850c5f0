import {
  EMPTY_HANDLER_TIME,
  ErrorCode,
  HANDLER_TIME_BOUNDS_SECONDS,
  type HandlerTimeHistogram,
  type ServerStats,
} from '@switchyard/protocol';
import type { MultiProcessStats } from '@switchyard/server-processes';
import { describe, expect, test } from 'vitest';
import { ServerMetrics } from '../src/metrics.js';
import { Scrape } from './scrape.js';

/** `calls` calls in each of the buckets named by index. */
function histogram(byBucket: Record<number, number>, sum: number): HandlerTimeHistogram {
  const counts = EMPTY_HANDLER_TIME.counts.map((_, index) => byBucket[index] ?? 0);
  return { counts, sum, count: counts.reduce((total, count) => total + count, 0) };
}

const base: ServerStats = {
  accepted: 12,
  active: 3,
  refused: 2,
  bytesIn: 4096,
  bytesOut: 2048,
  framesIn: 100,
  framesOut: 97,
  bufferedBytes: 64,
  peakConnectionBufferedBytes: 8192,
  errors: { [ErrorCode.FRAME_TOO_LARGE]: 4, [ErrorCode.CONNECTION_REFUSED]: 2 },
  // 60 calls within 5 us, 30 within 25 us, 10 past the last bound.
  handlerTime: histogram({ 0: 60, 2: 30, [HANDLER_TIME_BOUNDS_SECONDS.length]: 10 }, 123.5),
};

async function scrapeOf(stats: ServerStats): Promise<{ scrape: Scrape; metrics: ServerMetrics }> {
  const metrics = new ServerMetrics(() => stats);
  return { scrape: new Scrape(await metrics.scrape()), metrics };
}

describe('the server-wide figures', () => {
  test('every counter and gauge is the stats figure it names', async () => {
    const { scrape } = await scrapeOf(base);
    expect(scrape.value('switchyard_connections_accepted_total')).toBe(12);
    expect(scrape.value('switchyard_connections_open')).toBe(3);
    expect(scrape.value('switchyard_connections_refused_total')).toBe(2);
    expect(scrape.value('switchyard_requests_total')).toBe(100);
    expect(scrape.value('switchyard_replies_total')).toBe(97);
    expect(scrape.value('switchyard_received_bytes_total')).toBe(4096);
    expect(scrape.value('switchyard_sent_bytes_total')).toBe(2048);
    expect(scrape.value('switchyard_buffered_bytes')).toBe(64);
    expect(scrape.value('switchyard_connection_buffered_bytes_peak')).toBe(8192);
    expect(scrape.family('switchyard_requests_total').type).toBe('COUNTER');
    expect(scrape.family('switchyard_connections_open').type).toBe('GAUGE');
  });

  test('errors are one series per code', async () => {
    const { scrape } = await scrapeOf(base);
    expect(scrape.value('switchyard_errors_total', { code: ErrorCode.FRAME_TOO_LARGE })).toBe(4);
    expect(scrape.value('switchyard_errors_total', { code: ErrorCode.CONNECTION_REFUSED })).toBe(2);
    expect(scrape.family('switchyard_errors_total').metrics).toHaveLength(2);
  });

  test('the handler time histogram is cumulative by bound, in seconds, with +Inf, sum and count', async () => {
    const { scrape } = await scrapeOf(base);
    const { buckets, sum, count } = scrape.histogram('switchyard_handler_duration_seconds');
    expect(buckets.get('0.000005')).toBe(60);
    expect(buckets.get('0.00001')).toBe(60);
    expect(buckets.get('0.000025')).toBe(90);
    expect(buckets.get('10')).toBe(90);
    expect(buckets.get('+Inf')).toBe(100);
    expect(buckets.size).toBe(HANDLER_TIME_BOUNDS_SECONDS.length + 1);
    expect(sum).toBe(123.5);
    expect(count).toBe(100);
  });

  test('a server without worker threads or processes has no such families', async () => {
    const { scrape } = await scrapeOf(base);
    const names = [...scrape.families.keys()];
    expect(names.filter((name) => /_worker_|_process_/.test(name))).toEqual([]);
  });

  test('the stats are read once per scrape, so that every figure is of the same moment', async () => {
    let reads = 0;
    let accepted = 0;
    const metrics = new ServerMetrics(() => {
      reads++;
      return { ...base, accepted: ++accepted, framesIn: accepted };
    });
    const before = reads;
    const scrape = new Scrape(await metrics.scrape());
    expect(reads - before).toBe(1);
    expect(scrape.value('switchyard_connections_accepted_total')).toBe(
      scrape.value('switchyard_requests_total'),
    );
  });
});

describe('worker threads', () => {
  const pool: ServerStats = {
    ...base,
    workers: [
      { index: 0, handlerTime: histogram({ 0: 40 }, 0.0001), exits: 0 },
      { index: 1, handlerTime: histogram({ 0: 20, 2: 30 }, 0.0005), exits: 2 },
    ],
  };

  test('each thread slot is a series labelled worker: its handler calls and its exits', async () => {
    const { scrape, metrics } = await scrapeOf(pool);
    expect(scrape.value('switchyard_worker_exits_total', { worker: '0' })).toBe(0);
    expect(scrape.value('switchyard_worker_exits_total', { worker: '1' })).toBe(2);
    // Read back from the registry: the parser above cannot tell labelled histograms apart.
    const family = (await metrics.registry.getMetricsAsJSON()).find(
      ({ name }) => name === 'switchyard_worker_handler_duration_seconds',
    )!;
    const sample = (name: string, labels: Record<string, string | number>) =>
      family.values.find(
        (each) =>
          (each as { metricName?: string }).metricName === name &&
          JSON.stringify(each.labels) === JSON.stringify(labels),
      )?.value;
    const name = 'switchyard_worker_handler_duration_seconds';
    expect(sample(`${name}_count`, { worker: '0' })).toBe(40);
    expect(sample(`${name}_count`, { worker: '1' })).toBe(50);
    expect(sample(`${name}_bucket`, { worker: '1', le: 0.00001 })).toBe(20);
    expect(sample(`${name}_bucket`, { worker: '1', le: '+Inf' })).toBe(50);
    expect(sample(`${name}_sum`, { worker: '1' })).toBe(0.0005);
    expect(scrape.text).toContain(`${name}_count{worker="1"} 50\n`);
  });
});

describe('several processes', () => {
  const child = (process: number, framesIn: number, exits: number) => ({
    process,
    pid: 1000 + process,
    state: 'listening' as const,
    exits,
    stats: {
      ...base,
      active: process,
      framesIn,
      workers: [{ index: 0, handlerTime: histogram({ 0: framesIn }, 0), exits: process - 1 }],
    },
  });
  const stats: MultiProcessStats = {
    ...base,
    processes: [child(1, 30, 0), child(2, 70, 1)],
    supervisorPid: 999,
  };

  test('the totals, then each process slot labelled process, and its threads labelled process and worker', async () => {
    const { scrape } = await scrapeOf(stats);
    expect(scrape.value('switchyard_requests_total')).toBe(100);
    expect(scrape.value('switchyard_process_requests_total', { process: '1' })).toBe(30);
    expect(scrape.value('switchyard_process_requests_total', { process: '2' })).toBe(70);
    expect(scrape.value('switchyard_process_connections_open', { process: '2' })).toBe(2);
    expect(scrape.value('switchyard_process_exits_total', { process: '2' })).toBe(1);
    expect(scrape.value('switchyard_worker_exits_total', { process: '2', worker: '0' })).toBe(1);
    expect(scrape.text).toContain(
      'switchyard_worker_handler_duration_seconds_count{process="2",worker="0"} 70\n',
    );
  });
});
