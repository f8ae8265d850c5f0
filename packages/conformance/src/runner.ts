import { type CodecName, InvalidOptionError } from '@switchyard/protocol';
import { allCases, type CaseDefinition } from './cases/index.js';
import { CaseRun } from './context.js';
import { CaseFailure, CaseSkipped } from './outcome.js';
import type {
  CaseInfo,
  CaseResult,
  Need,
  RunSuiteOptions,
  SuiteReport,
  Target,
  TargetInfo,
} from './types.js';

/** Turns a filter (`echo,conn.half-close`, `framing.*`, `*large*`) into a test on case ids. */
export function caseFilter(filter: string | undefined): (id: string) => boolean {
  const patterns = (filter ?? '')
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
  if (patterns.length === 0) return () => true;
  const tests = patterns.map((pattern) => {
    if (pattern.includes('*')) {
      const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
      const regex = new RegExp(`^${escaped}$`);
      return (id: string) => regex.test(id);
    }
    return (id: string) => id === pattern || id.startsWith(`${pattern}.`);
  });
  return (id) => tests.some((test) => test(id));
}

function info({ id, description, tier, codecs, needs, timeoutMs }: CaseDefinition): CaseInfo {
  return { id, description, tier, codecs, needs, timeoutMs };
}

/** Every case (or those matching `filter`), without running anything. */
export function listCases(filter?: string): CaseInfo[] {
  const matches = caseFilter(filter);
  return allCases.filter((definition) => matches(definition.id)).map(info);
}

/** The target's name, kind and capabilities, as reports show them. */
export function describeTarget(target: Target): TargetInfo {
  if (target.kind === 'strategy') {
    return {
      name: target.name ?? target.strategy.name,
      kind: 'strategy',
      capabilities: target.strategy.capabilities,
      ...(target.options?.codec ? { codec: target.options.codec } : {}),
    };
  }
  return {
    name: target.name ?? `${target.host}:${target.port}`,
    kind: 'external',
    capabilities: target.capabilities,
    address: `${target.host}:${target.port}`,
    codec: target.codec,
  };
}

const NEED_REASONS: Record<Need, (target: Target) => string | undefined> = {
  'server-control': (target) =>
    target.kind === 'external'
      ? 'needs control of the server (its options and stats); an external target gives none'
      : undefined,
  'concurrent-connections': (target) =>
    capabilitiesOf(target).connections !== 'concurrent'
      ? 'needs a target that serves connections concurrently; this one serves one at a time'
      : undefined,
  'one-at-a-time-connections': (target) =>
    capabilitiesOf(target).connections !== 'one-at-a-time'
      ? 'needs a target that serves one connection at a time; this one serves them concurrently'
      : undefined,
  'parallel-handlers': (target) =>
    !capabilitiesOf(target).parallelHandlers
      ? 'needs a target whose handlers run in parallel; this one runs them one at a time'
      : undefined,
};

function capabilitiesOf(target: Target) {
  return target.kind === 'strategy' ? target.strategy.capabilities : target.capabilities;
}

/** Decides up front whether a case runs against a target, and with which codecs. */
export function planCase(
  target: Target,
  definition: CaseInfo,
): { skip: string } | { codecs: CodecName[] } {
  for (const need of definition.needs) {
    const reason = NEED_REASONS[need](target);
    if (reason) return { skip: reason };
  }
  const pinned = target.kind === 'external' ? target.codec : target.options?.codec;
  if (pinned === undefined) return { codecs: [...definition.codecs] };
  if (!definition.codecs.includes(pinned)) {
    return {
      skip: `applies to the ${definition.codecs.join(', ')} codecs; the target speaks ${pinned}`,
    };
  }
  return { codecs: [pinned] };
}

function validate(target: Target): void {
  if (target.kind === 'external') {
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
      throw new InvalidOptionError('port', `expected 1-65535, got ${String(target.port)}`);
    if (!target.host) throw new InvalidOptionError('host', 'an external target needs a host');
  } else if (target.kind !== 'strategy') {
    throw new InvalidOptionError('kind', `expected 'strategy' or 'external'`);
  }
}

/**
 * Runs one case against one target: starts what it needs, enforces its time limit, and always
 * destroys every socket and server it opened before returning.
 */
export async function runCase(target: Target, definition: CaseDefinition): Promise<CaseResult> {
  const base = { id: definition.id, description: definition.description, tier: definition.tier };
  const plan = planCase(target, definition);
  if ('skip' in plan)
    return { ...base, status: 'skip', message: plan.skip, durationMs: 0, codecs: [] };
  const run = new CaseRun(target, plan.codecs);
  const started = performance.now();
  const result = (status: CaseResult['status'], message?: string): CaseResult => ({
    ...base,
    status,
    ...(message === undefined ? {} : { message }),
    durationMs: Math.round(performance.now() - started),
    codecs: plan.codecs,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const body = definition.run(run);
    // After a timeout the body is abandoned; its late rejection is not an unhandled one.
    body.catch(() => {});
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, definition.timeoutMs, 'timeout');
    });
    const outcome = await Promise.race([body.then(() => 'done' as const), timedOut]);
    if (outcome === 'timeout') {
      const pending = run.conditions.pending();
      return result(
        'fail',
        `timed out after ${definition.timeoutMs} ms` +
          (pending.length > 0 ? `, still waiting for: ${pending.join('; ')}` : ''),
      );
    }
    return result('pass');
  } catch (error) {
    if (error instanceof CaseSkipped) return result('skip', error.message);
    if (error instanceof CaseFailure) return result('fail', error.message);
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return result('fail', `unexpected error: ${detail}`);
  } finally {
    clearTimeout(timer);
    await run.cleanup();
  }
}

/** Runs every case (or those matching `options.filter`) against `target`, one after another. */
export async function runSuite(
  target: Target,
  options: RunSuiteOptions = {},
): Promise<SuiteReport> {
  validate(target);
  const matches = caseFilter(options.filter);
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = [];
  for (const definition of allCases) {
    if (!matches(definition.id)) continue;
    const result = await runCase(target, definition);
    results.push(result);
    options.onResult?.(result);
  }
  const count = (status: CaseResult['status']) => results.filter((r) => r.status === status).length;
  return {
    target: describeTarget(target),
    node: process.version,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    results,
    summary: {
      total: results.length,
      passed: count('pass'),
      failed: count('fail'),
      skipped: count('skip'),
    },
  };
}
