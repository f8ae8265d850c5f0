import { setTimeout as sleep } from 'node:timers/promises';
import {
  ABORT_GRACE_MS,
  joinWindows,
  LoadPool,
  type MergedLoad,
  makeTraffic,
  type OpenLoad,
  type ServerProcess,
  type ServiceSpec,
  startServer,
  type Traffic,
  verifyService,
} from '@switchyard/bench';
import { type Codec, loadCodec, loadWorkload, resolveCodecSpecifier } from '@switchyard/protocol';
import { type Attack, type AttackFigures, type AttackTarget, planAttacks } from './attack.js';
import {
  goodBytesIntact,
  resourcesReturned,
  servedUnderAttack,
  servingAtEnd,
} from './invariants.js';
import type { ChaosOptions, ResolvedChaosOptions } from './options.js';
import {
  CHAOS_REPORT_SCHEMA,
  type ChaosReport,
  type GoodFigures,
  type PhaseReport,
} from './report.js';
import { joinSpans, ResourceSampler, type ResourceSpan } from './resources.js';

/** Everything about the run decided before the server is touched. */
interface Setup {
  readonly options: ResolvedChaosOptions;
  readonly service: ServiceSpec;
  readonly codec: Codec;
  /** The good clients' traffic, and the small valid requests attacks send. */
  readonly traffic: Traffic;
  readonly attackTraffic: Traffic;
  /** The attacks that run against this server, in order. */
  readonly attacks: readonly Attack[];
  readonly report: Omit<ChaosReport, 'phases' | 'verdicts' | 'passed' | 'host' | 'port'>;
}

/**
 * Runs chaos against one server: starts it (or takes the target), checks it answers right,
 * then drives good clients through the phases (baseline, each attack, settle) and judges the
 * invariants. A server that cannot be started or answers wrongly gives a report with `error`.
 */
export async function runChaos(
  options: ResolvedChaosOptions,
  listener: Pick<ChaosOptions, 'onPhase' | 'signal'>,
): Promise<ChaosReport> {
  const setup = await prepare(options);
  const { signal } = listener;
  let server: ServerProcess | undefined;
  let address = options.target ?? { host: options.host, port: 0 };
  const errored = (error: string): ChaosReport => ({
    ...setup.report,
    ...address,
    error,
    phases: [],
    verdicts: [],
    passed: false,
  });
  try {
    if (options.server) {
      const serves = options.server.serves?.(setup.service, setup.service) ?? true;
      if (serves !== true) return errored(`cannot serve ${setup.service.workload}: ${serves}`);
      server = await startServer(options.server, setup.service, {
        host: options.host,
        readyTimeoutMs: options.readyTimeoutMs,
        signal,
      });
      address = { host: server.host, port: server.port };
    }
    const problem = await verifyService(address, [setup.traffic]);
    if (problem) return errored(`verification failed: ${problem}`);
    const pool = await LoadPool.start(1, undefined, signal);
    try {
      return await attackPhases(setup, address, server, pool, listener);
    } finally {
      await pool.close(signal?.aborted);
    }
  } catch (error) {
    signal?.throwIfAborted();
    return errored((error as Error).message);
  } finally {
    await server?.stop(signal?.aborted ? ABORT_GRACE_MS : undefined);
  }
}

async function prepare(options: ResolvedChaosOptions): Promise<Setup> {
  const workload = await loadWorkload(options.workload);
  const codecSpecifier =
    options.codec === undefined ? workload.codec : resolveCodecSpecifier(options.codec);
  const codec = await loadCodec(codecSpecifier);
  const pattern = options.oneAtATime ? 'churn' : 'stream';
  const cell = { size: options.size, connections: options.connections, depth: 1 };
  const service: ServiceSpec = {
    workload: workload.module ?? workload.label,
    codec: codecSpecifier,
    handler: workload.handler,
    handlerOptions: workload.handlerOptions ?? {},
  };
  const planned = planAttacks(options.attacks, {
    codec,
    connections: options.oneAtATime ? 'one-at-a-time' : 'concurrent',
  });
  return {
    options,
    service,
    codec,
    traffic: makeTraffic(workload, codec, cell),
    attackTraffic: makeTraffic(workload, codec, { size: 1, connections: 1, depth: 1 }),
    attacks: planned.flatMap(({ attack, skip }) => (skip === undefined ? [attack] : [])),
    report: {
      schema: CHAOS_REPORT_SCHEMA,
      name: options.server?.name ?? options.target?.name ?? 'target',
      started: options.server !== undefined,
      service: { workload: workload.name, codec: codec.name, handler: workload.handler },
      good: {
        pattern,
        connections: options.connections,
        depth: 1,
        size: options.size,
        why: options.oneAtATime
          ? 'it serves one connection at a time: each good request is a connection of its own, so attackers get their turns'
          : 'it serves connections concurrently: long-lived connections, one request in flight each',
      },
      durationMs: options.durationMs,
      thresholds: options.thresholds,
      skipped: planned.flatMap(({ attack, skip }) =>
        skip === undefined ? [] : [{ attack: attack.name, reason: skip }],
      ),
    },
  };
}

/** The phases, then the probe and the verdicts. */
async function attackPhases(
  setup: Setup,
  address: { host: string; port: number },
  server: ServerProcess | undefined,
  pool: LoadPool,
  { onPhase, signal }: Pick<ChaosOptions, 'onPhase' | 'signal'>,
): Promise<ChaosReport> {
  const { options, service, traffic, attackTraffic, attacks, report } = setup;
  const load: OpenLoad = await pool.open({
    workload: service.workload,
    codec: service.codec,
    cell: { size: options.size, connections: options.connections, depth: 1 },
    pattern: report.good.pattern,
    connections: options.connections,
    depth: 1,
    ...address,
  });
  const target: AttackTarget = {
    ...address,
    codec: setup.codec,
    maxFrameBytes: options.maxFrameBytes,
    request: (seq) => attackTraffic.request(seq, 0).wire,
  };
  const sampler = server ? new ResourceSampler(server.pid) : undefined;
  try {
    const names = ['baseline', ...attacks.map((attack) => attack.name), 'settle'];
    const begin = (index: number) => {
      sampler?.phase();
      onPhase?.({ name: names[index]!, index, count: names.length });
    };
    const pause = (ms: number) => sleep(ms, undefined, { signal });
    await pause(options.warmupMs);
    // Reported, not judged but for its bytes: a byte lost while warming up is lost all the same.
    const drafts: Omit<PhaseReport, 'resources'>[] = [
      phase('warm-up', 'warmup', await load.window()),
    ];
    begin(0);
    await pause(options.durationMs);
    drafts.push(phase('baseline', 'baseline', await load.window()));
    const half = Math.floor(options.durationMs / 2);
    for (const [index, attack] of attacks.entries()) {
      begin(index + 1);
      const run = attack.start(target);
      const windows: MergedLoad[] = [];
      let figures: AttackFigures;
      try {
        await pause(half);
        windows.push(await load.window());
        await pause(options.durationMs - half);
      } finally {
        figures = run.stop();
      }
      windows.push(await load.window());
      const late = windows[1]!;
      drafts.push({
        ...phase(attack.name, 'attack', joinWindows(windows)),
        goodLate: {
          requests: late.requests,
          requestsPerSecond: late.elapsedMs > 0 ? (late.requests * 1000) / late.elapsedMs : 0,
        },
        attack: figures,
      });
    }
    begin(names.length - 1);
    await pause(options.durationMs);
    if (sampler) await settleMemory(sampler, options, pause);
    // Resources are read before the good clients close their connections.
    const spans = [undefined, ...(sampler?.stop() ?? [])];
    drafts.push(phase('settle', 'settle', await load.stop(options.drainMs)));
    const phases: PhaseReport[] = drafts.map((draft, index) => {
      const resources: ResourceSpan | undefined = spans[index];
      return resources ? { ...draft, resources } : draft;
    });
    const exited = server?.exited
      ? `server exited${server.stderrTail() ? `: ${server.stderrTail()}` : ''}`
      : undefined;
    const probe = exited === undefined ? await verifyService(address, [traffic]) : undefined;
    const resources = joinSpans(spans);
    const verdicts = [
      goodBytesIntact(phases),
      servingAtEnd({ settle: phases.at(-1), probe, exited }),
      resourcesReturned(resources, options.thresholds),
      servedUnderAttack(phases, options.thresholds),
    ];
    return {
      ...report,
      ...address,
      phases,
      ...(resources && { resources }),
      ...(probe !== undefined && { probe }),
      ...(exited !== undefined && { exited }),
      verdicts,
      passed: verdicts.every((verdict) => verdict.status !== 'fail'),
    };
  } finally {
    // A run cut short (aborted) stops sampling on its way out too.
    sampler?.stop();
  }
}

function phase(
  name: string,
  kind: PhaseReport['kind'],
  load: MergedLoad,
): Omit<PhaseReport, 'resources'> {
  return { name, kind, elapsedMs: load.elapsedMs, good: goodFigures(load) };
}

function goodFigures(load: MergedLoad): GoodFigures {
  return {
    requests: load.requests,
    requestsPerSecond: load.elapsedMs > 0 ? (load.requests * 1000) / load.elapsedMs : 0,
    p50Us: load.latencyUs.p50,
    p99Us: load.latencyUs.p99,
    lostBytes: load.lostBytes,
    wrongBytes: load.wrongBytes,
    errors: load.errors,
    errorSamples: load.errorSamples,
  };
}

/** How often a settle that waits for memory to come back looks again. */
const MEMORY_SETTLE_STEP_MS = 250;

/**
 * Lets the settle run on (good clients still running) while the server's RSS is over the slack,
 * up to `memorySettleMs`: heap the runtime grew under attack is freed at its next collection,
 * which the good clients' traffic brings; memory the server keeps stays.
 */
async function settleMemory(
  sampler: ResourceSampler,
  options: ResolvedChaosOptions,
  pause: (ms: number) => Promise<void>,
): Promise<void> {
  const start = sampler.first?.rssBytes;
  if (start === undefined) return;
  const deadline = Date.now() + options.memorySettleMs;
  for (;;) {
    const reading = sampler.read();
    if (reading === undefined || reading.rssBytes - start <= options.thresholds.rssSlackBytes)
      return;
    if (Date.now() >= deadline) return;
    await pause(MEMORY_SETTLE_STEP_MS);
  }
}
