import type { GoodFigures, PhaseReport } from '../src/report.js';

/** A phase as a run reports it: good clients served cleanly unless told otherwise. */
export function phase(
  name: string,
  kind: PhaseReport['kind'],
  good: Partial<GoodFigures> = {},
  extra: Partial<PhaseReport> = {},
): PhaseReport {
  return {
    name,
    kind,
    elapsedMs: 1000,
    good: {
      requests: 5000,
      requestsPerSecond: 5000,
      p50Us: 150,
      p99Us: 400,
      lostBytes: 0,
      wrongBytes: 0,
      errors: 0,
      errorSamples: [],
      ...good,
    },
    ...extra,
  };
}

/** Baseline, two attacks and settle, all clean. */
export function cleanPhases(): PhaseReport[] {
  return [
    phase('baseline', 'baseline'),
    phase('dribble', 'attack'),
    phase('flood', 'attack'),
    phase('settle', 'settle'),
  ];
}
