import { readdirSync, readFileSync } from 'node:fs';
import { processTree } from '@switchyard/bench';

/** A server's resources at one moment, summed over its process tree (from Linux's /proc). */
export interface ResourceReading {
  /** Resident set size (VmRSS), bytes. */
  readonly rssBytes: number;
  /** Open file descriptors (sockets, the listener, pipes, files). */
  readonly fds: number;
  /**
   * Processes of the tree that serve: its leaves (a `sh -c` or a supervisor that only starts
   * others is not one). Each has a heap of its own, so each may grow on its own.
   */
  readonly servingProcesses: number;
}

/** Start, peak and end of one resource over a span of time. */
export interface Span {
  readonly start: number;
  readonly peak: number;
  readonly end: number;
}

/** RSS and fds over a span of time. */
export interface ResourceSpan {
  readonly rssBytes: Span;
  readonly fds: Span;
  /** The most serving processes seen (absent: 1). */
  readonly servingProcesses?: number;
}

/** Reads RSS and open fds of `pid` and its descendants; undefined once it has exited. */
export function readResources(pid: number): ResourceReading | undefined {
  let rssBytes = 0;
  let fds = 0;
  const members: number[] = [];
  const parents = new Set<number>();
  for (const member of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${member}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      rssBytes += match ? Number(match[1]) * 1024 : 0;
      fds += readdirSync(`/proc/${member}/fd`).length;
      members.push(member);
      parents.add(Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]));
    } catch {
      // exited between listing and reading
    }
  }
  if (members.length === 0) return undefined;
  const servingProcesses = members.filter((member) => !parents.has(member)).length;
  return { rssBytes, fds, servingProcesses };
}

/** Start, peak and end of readings taken in order; undefined for none. */
export function spanOf(readings: readonly ResourceReading[]): ResourceSpan | undefined {
  const first = readings[0];
  const last = readings.at(-1);
  if (!first || !last) return undefined;
  const span = (pick: (reading: ResourceReading) => number): Span => ({
    start: pick(first),
    peak: Math.max(...readings.map(pick)),
    end: pick(last),
  });
  return {
    rssBytes: span((reading) => reading.rssBytes),
    fds: span((reading) => reading.fds),
    servingProcesses: Math.max(...readings.map((reading) => reading.servingProcesses)),
  };
}

/**
 * Samples a process tree's resources on a timer and at every phase boundary, so each phase has
 * a reading at its start and its end and the peak in between.
 */
export class ResourceSampler {
  private readonly phases: ResourceReading[][] = [];
  private timer: NodeJS.Timeout | undefined;
  private spans: (ResourceSpan | undefined)[] | undefined;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  /** Starts a phase: its first reading is now (and the previous phase's last). */
  phase(): void {
    const reading = readResources(this.pid);
    const readings = reading ? [reading] : [];
    this.phases.at(-1)?.push(...readings);
    this.phases.push([...readings]);
    this.timer ??= setInterval(() => {
      const sample = readResources(this.pid);
      if (sample) this.phases.at(-1)!.push(sample);
    }, this.intervalMs).unref();
  }

  /** Reads now, as part of the current phase; undefined once the process has exited. */
  read(): ResourceReading | undefined {
    const reading = readResources(this.pid);
    if (reading) this.phases.at(-1)?.push(reading);
    return reading;
  }

  /** The run's first reading, the start every later one is compared with. */
  get first(): ResourceReading | undefined {
    return this.phases.find((readings) => readings.length > 0)?.[0];
  }

  /**
   * Ends the last phase with a reading now and stops sampling; the span of every phase. Safe to
   * call again (a run cut short calls it on its way out): later calls change nothing.
   */
  stop(): (ResourceSpan | undefined)[] {
    if (this.spans) return this.spans;
    clearInterval(this.timer);
    const reading = readResources(this.pid);
    if (reading) this.phases.at(-1)?.push(reading);
    this.spans = this.phases.map((readings) => spanOf(readings));
    return this.spans;
  }
}

/** The span of consecutive spans: the first's start, the highest peak, the last's end. */
export function joinSpans(spans: readonly (ResourceSpan | undefined)[]): ResourceSpan | undefined {
  const present = spans.filter((span): span is ResourceSpan => span !== undefined);
  const first = present[0];
  const last = present.at(-1);
  if (!first || !last) return undefined;
  const join = (pick: (span: ResourceSpan) => Span): Span => ({
    start: pick(first).start,
    peak: Math.max(...present.map((span) => pick(span).peak)),
    end: pick(last).end,
  });
  return {
    rssBytes: join((span) => span.rssBytes),
    fds: join((span) => span.fds),
    servingProcesses: Math.max(...present.map((span) => span.servingProcesses ?? 1)),
  };
}
