import { formatBytes } from '@switchyard/bench';
import type { PhaseReport, Thresholds, Verdict } from './report.js';
import type { ResourceSpan } from './resources.js';

/**
 * The invariants a server must keep under attack. Each is a pure function of the figures, so
 * each is tested alone, and a verdict always carries the figures (and threshold) behind it.
 */

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  rssSlackBytes: 64 * 1024 * 1024,
  rssPeakSlackBytes: 512 * 1024 * 1024,
  fdSlack: 16,
  minShareUnderAttack: 0.01,
});

/** No good byte lost, corrupted or out of order, in any phase. */
export function goodBytesIntact(phases: readonly PhaseReport[]): Verdict {
  const broken = phases.filter(({ good }) => good.lostBytes > 0 || good.wrongBytes > 0);
  const lost = sum(phases, (phase) => phase.good.lostBytes);
  const wrong = sum(phases, (phase) => phase.good.wrongBytes);
  const where = broken.map(
    ({ name, good }) =>
      `${name}: ${formatBytes(good.lostBytes)} lost, ${formatBytes(good.wrongBytes)} wrong`,
  );
  return {
    invariant: 'intact',
    status: broken.length === 0 ? 'pass' : 'fail',
    detail:
      broken.length === 0
        ? '0 B lost, 0 B wrong'
        : `${formatBytes(lost)} lost, ${formatBytes(wrong)} wrong (${where.join('; ')})`,
    phases: broken.map((phase) => phase.name),
  };
}

/**
 * The server is alive and serving at the end: its process has not exited, good clients got
 * replies while it settled, and a fresh connection got a right reply after the run.
 */
export function servingAtEnd(end: {
  readonly settle: PhaseReport | undefined;
  /** What went wrong with a fresh connection after the run. */
  readonly probe: string | undefined;
  /** That the server process exited, and its last words. */
  readonly exited: string | undefined;
}): Verdict {
  const problems: string[] = [];
  if (end.exited !== undefined) problems.push(end.exited);
  if (end.settle && end.settle.good.requests === 0) {
    problems.push('good clients got no reply while it settled');
  }
  if (end.probe !== undefined) problems.push(`a fresh connection afterwards: ${end.probe}`);
  return {
    invariant: 'serving',
    status: problems.length === 0 ? 'pass' : 'fail',
    detail:
      problems.length === 0
        ? `${end.settle?.good.requests ?? 0} good replies while settling; a fresh connection answered right`
        : problems.join('; '),
    phases: end.settle && end.settle.good.requests === 0 ? [end.settle.name] : [],
  };
}

/**
 * Memory bounded and fds returned: the RSS peak within `rssPeakSlackBytes` of the start, open
 * fds at the end within `fdSlack`; RSS at the end over `rssSlackBytes` is a warning. The end
 * is the runtime's to decide as much as the server's: a V8 heap grown under load is freed only
 * at a full collection, and a worker thread gone idle may never run one. Memory a server keeps
 * for its clients shows as a peak that grows with the attack, which the peak bound catches.
 * Both RSS slacks hold for each serving process: each has a heap of its own.
 */
export function resourcesReturned(
  resources: ResourceSpan | undefined,
  thresholds: Pick<Thresholds, 'rssSlackBytes' | 'rssPeakSlackBytes' | 'fdSlack'>,
): Verdict {
  if (!resources) {
    return {
      invariant: 'resources',
      status: 'not measured',
      detail: 'not sampled: chaos did not start the server',
      phases: [],
    };
  }
  const { rssBytes, fds, servingProcesses = 1 } = resources;
  const processes = Math.max(1, servingProcesses);
  const peakSlack = thresholds.rssPeakSlackBytes * processes;
  const endSlack = thresholds.rssSlackBytes * processes;
  const peakOk = rssBytes.peak - rssBytes.start <= peakSlack;
  const endOk = rssBytes.end - rssBytes.start <= endSlack;
  const fdsOk = fds.end - fds.start <= thresholds.fdSlack;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  return {
    invariant: 'resources',
    status: !peakOk || !fdsOk ? 'fail' : endOk ? 'pass' : 'warn',
    detail:
      `RSS ${mib(rssBytes.start)} -> peak ${mib(rssBytes.peak)} ` +
      `(${peakOk ? 'within' : 'over'} +${mib(peakSlack)}) -> ` +
      `${mib(rssBytes.end)} (${endOk ? 'within' : 'over'} +${mib(endSlack)}` +
      `${endOk ? '' : ': heap the runtime grew and has not collected yet, or memory kept; a longer attack tells them apart'})` +
      (processes > 1 ? `, the slacks for each of ${processes} serving processes; ` : '; ') +
      `fds ${fds.start} -> peak ${fds.peak} -> ${fds.end} ` +
      `(${fdsOk ? 'within' : 'over'} +${thresholds.fdSlack})`,
    phases: [],
  };
}

/**
 * Good clients were served during every attack once it was in full swing (its second half): not
 * zero, and at least `minShareUnderAttack` of the baseline's rate. One client cannot stop everyone.
 */
export function servedUnderAttack(
  phases: readonly PhaseReport[],
  thresholds: Pick<Thresholds, 'minShareUnderAttack'>,
): Verdict {
  const attacks = phases.filter((phase) => phase.kind === 'attack');
  if (attacks.length === 0) {
    return {
      invariant: 'under-attack',
      status: 'not measured',
      detail: 'no attack ran',
      phases: [],
    };
  }
  const baseline = phases.find((phase) => phase.kind === 'baseline')?.good.requestsPerSecond ?? 0;
  const floor = baseline * thresholds.minShareUnderAttack;
  const rate = (phase: PhaseReport) => (phase.goodLate ?? phase.good).requestsPerSecond;
  const requests = (phase: PhaseReport) => (phase.goodLate ?? phase.good).requests;
  const starved = attacks.filter((phase) => requests(phase) === 0 || rate(phase) < floor);
  const least = attacks.reduce((low, phase) => (rate(phase) < rate(low) ? phase : low));
  const share = (phase: PhaseReport) =>
    baseline > 0 ? `${((rate(phase) / baseline) * 100).toPrecision(2)}%` : 'n/a';
  const rule = `floor ${thresholds.minShareUnderAttack * 100}% of the baseline's ${Math.round(baseline)}/s`;
  return {
    invariant: 'under-attack',
    status: starved.length === 0 ? 'pass' : 'fail',
    detail:
      starved.length === 0
        ? `the least in an attack's second half: ${Math.round(rate(least))}/s during ${least.name} (${share(least)}; ${rule})`
        : `starved in the second half of ${starved
            .map((phase) => `${phase.name} (${Math.round(rate(phase))}/s, ${share(phase)})`)
            .join(', ')}; ${rule}`,
    phases: starved.map((phase) => phase.name),
  };
}

/** What each invariant is called in tables. */
export const INVARIANT_TITLES: Readonly<Record<Verdict['invariant'], string>> = Object.freeze({
  intact: 'good bytes intact',
  serving: 'alive and serving at the end',
  resources: 'memory bounded, fds back',
  'under-attack': 'good clients served under attack',
});

function sum(phases: readonly PhaseReport[], pick: (phase: PhaseReport) => number): number {
  return phases.reduce((total, phase) => total + pick(phase), 0);
}
