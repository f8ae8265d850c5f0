import {
  HANDLER_TIME_BOUNDS_SECONDS,
  type HandlerTimeHistogram,
  type ServerStats,
  type WorkerStats,
} from '@switchyard/protocol';
import { isMultiProcessStats } from '@switchyard/server-processes';
import { Counter, Gauge, type Metric, Registry } from 'prom-client';

/** One labelled series of a histogram whose buckets the server has counted already. */
interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly histogram: HandlerTimeHistogram;
}

/**
 * A histogram read from the server's stats at scrape time. prom-client's own `Histogram` only
 * takes observations one by one (which would put the library on the request path), so this
 * hands its registry the same shape that `Histogram` does: cumulative `_bucket` series by `le`,
 * `+Inf`, `_sum` and `_count`; the registry formats and escapes it like any of its metrics.
 */
class StatsHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly series: () => readonly HistogramSeries[],
  ) {}

  async get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] =
      [];
    for (const { labels, histogram } of this.series()) {
      let below = 0;
      for (const [index, bound] of HANDLER_TIME_BOUNDS_SECONDS.entries()) {
        below += histogram.counts[index] ?? 0;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: bound },
          value: below,
        });
      }
      values.push(
        {
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: '+Inf' },
          value: histogram.count,
        },
        { metricName: `${this.name}_sum`, labels, value: histogram.sum },
        { metricName: `${this.name}_count`, labels, value: histogram.count },
      );
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  /** The registry resets its metrics on request; this one holds nothing to reset. */
  reset(): void {}
}

/** A thread slot's labels: its index, and the process it is in when there are several. */
function workerSeries(
  stats: ServerStats,
): { labels: Record<string, string>; worker: WorkerStats }[] {
  const inProcesses = isMultiProcessStats(stats)
    ? stats.processes.map((each) => ({
        process: String(each.process),
        workers: each.stats.workers,
      }))
    : [{ process: undefined, workers: stats.workers }];
  return inProcesses.flatMap(({ process, workers = [] }) =>
    workers.map((worker) => ({
      labels: { ...(process !== undefined && { process }), worker: String(worker.index) },
      worker,
    })),
  );
}

/**
 * The server's stats as Prometheus metrics (names and labels: the CLI's README). Every value is
 * read from `stats()` when scraped (prom-client `collect` callbacks over one snapshot per
 * scrape): nothing is counted per request on the library's side.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** The snapshot this scrape reads, taken once so that every metric agrees with the others. */
  private current: ServerStats | undefined;

  constructor(private readonly read: () => ServerStats) {
    const registers = [this.registry];
    const stats = () => this.stats();
    const counter = (name: string, help: string, value: (stats: ServerStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(value(stats()));
        },
      });
    const gauge = (name: string, help: string, value: (stats: ServerStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value(stats()));
        },
      });

    counter(
      'switchyard_connections_accepted_total',
      'Connections accepted and served (or queued to be served).',
      (s) => s.accepted,
    );
    gauge(
      'switchyard_connections_open',
      'Connections open now, served or waiting.',
      (s) => s.active,
    );
    counter(
      'switchyard_connections_refused_total',
      'Connections refused by a limit (maxConnections, a wait-queue cap).',
      (s) => s.refused,
    );
    counter('switchyard_requests_total', 'Requests (frames) decoded.', (s) => s.framesIn);
    counter(
      'switchyard_replies_total',
      'Replies (frames) encoded and written.',
      (s) => s.framesOut,
    );
    counter(
      'switchyard_received_bytes_total',
      'Bytes read from clients (after TLS, PROXY headers included).',
      (s) => s.bytesIn,
    );
    counter(
      'switchyard_sent_bytes_total',
      'Bytes written to clients (before TLS).',
      (s) => s.bytesOut,
    );
    gauge(
      'switchyard_buffered_bytes',
      'Bytes held now across connections: partial frames, requests awaiting replies, unwritten replies.',
      (s) => s.bufferedBytes,
    );
    gauge(
      'switchyard_connection_buffered_bytes_peak',
      'The most any one connection has held at once.',
      (s) => s.peakConnectionBufferedBytes,
    );
    new Counter({
      name: 'switchyard_errors_total',
      help: 'Failures by error code (framing, handler, timeouts, sockets, refusals, worker exits).',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, count = 0] of Object.entries(stats().errors)) this.inc({ code }, count);
      },
    });
    this.histogram(
      'switchyard_handler_duration_seconds',
      'Handler calls, from the call until it returned, threw or (a promise) settled, timed where the handler runs.',
      () => [{ labels: {}, histogram: stats().handlerTime }],
    );
    // What the stats hold is fixed for a server's life: families that would stay empty are left out.
    const first = this.read();
    if (workerSeries(first).length > 0) this.perWorker();
    if (isMultiProcessStats(first)) this.perProcess();
  }

  /** The Prometheus text exposition of the server's stats now. */
  async scrape(): Promise<string> {
    this.current = this.read();
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private stats(): ServerStats {
    this.current ??= this.read();
    return this.current;
  }

  private histogram(name: string, help: string, series: () => readonly HistogramSeries[]): void {
    // The registry takes any object with its metrics' shape; prom-client types only its own.
    this.registry.registerMetric(new StatsHistogram(name, help, series) as unknown as Metric);
  }

  /** For a server that runs handlers on threads of its own: each thread slot's figures. */
  private perWorker(): void {
    const registers = [this.registry];
    const stats = () => this.stats();
    this.histogram(
      'switchyard_worker_handler_duration_seconds',
      'Handler calls per worker thread slot (_count: requests run there).',
      () =>
        workerSeries(stats()).map(({ labels, worker }) => ({
          labels,
          histogram: worker.handlerTime,
        })),
    );
    new Counter({
      name: 'switchyard_worker_exits_total',
      help: 'Worker threads that exited (crashed, exited, or were stopped) per slot; each is replaced in its slot.',
      labelNames: ['process', 'worker'],
      registers,
      collect() {
        this.reset();
        for (const { labels, worker } of workerSeries(stats())) this.inc(labels, worker.exits);
      },
    });
  }

  /**
   * For a server of several processes: each process slot's own figures, labelled `process`
   * (they start again from 0 when a process is replaced, as a counter of a restarted target).
   */
  private perProcess(): void {
    const registers = [this.registry];
    const stats = () => this.stats();
    const slots = () => {
      const current = stats();
      return isMultiProcessStats(current) ? current.processes : [];
    };
    new Gauge({
      name: 'switchyard_process_connections_open',
      help: 'Connections open now in each serving process.',
      labelNames: ['process'],
      registers,
      collect() {
        this.reset();
        for (const slot of slots()) this.set({ process: String(slot.process) }, slot.stats.active);
      },
    });
    new Counter({
      name: 'switchyard_process_requests_total',
      help: 'Requests decoded by the process now in each slot.',
      labelNames: ['process'],
      registers,
      collect() {
        this.reset();
        for (const slot of slots())
          this.inc({ process: String(slot.process) }, slot.stats.framesIn);
      },
    });
    new Counter({
      name: 'switchyard_process_exits_total',
      help: 'Serving processes that died in each slot while the server ran (each is replaced).',
      labelNames: ['process'],
      registers,
      collect() {
        this.reset();
        for (const slot of slots()) this.inc({ process: String(slot.process) }, slot.exits);
      },
    });
  }
}
