import {
  type Codec,
  formatServerAddress,
  getCodec,
  InvalidOptionError,
} from '@switchyard/protocol';
import { externalAddress } from './address.js';
import { allCases, type CaseDefinition } from './cases/index.js';
import { CaseRun } from './context.js';
import { CaseFailure, CaseSkipped, WrongReply } from './outcome.js';
import { lacksTrait, type PreparedTarget, prepareTarget, traitText } from './prepare.js';
import type {
  CaseInfo,
  CaseResult,
  Need,
  RunSuiteOptions,
  SuiteReport,
  Target,
  TargetInfo,
} from './types.js';

/** The comma-separated patterns of a filter (`echo,conn.half-close`, `framing.*`, `*large*`). */
function filterPatterns(filter: string | undefined): string[] {
  return (filter ?? '')
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
}

/** One pattern as a test on case ids: an id, a group (`echo`), or `*` wildcards. */
function patternTest(pattern: string): (id: string) => boolean {
  if (pattern.includes('*')) {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    const regex = new RegExp(`^${escaped}$`);
    return (id: string) => regex.test(id);
  }
  return (id: string) => id === pattern || id.startsWith(`${pattern}.`);
}

/** Turns a filter (`echo,conn.half-close`, `framing.*`, `*large*`) into a test on case ids. */
export function caseFilter(filter: string | undefined): (id: string) => boolean {
  const tests = filterPatterns(filter).map(patternTest);
  if (tests.length === 0) return () => true;
  return (id) => tests.some((test) => test(id));
}

/**
 * The cases `filter` selects (every case without one), in suite order. A pattern that matches no
 * case is refused (`SWITCHYARD_ERR_INVALID_OPTION` naming `option`): a typo would otherwise run
 * nothing and pass.
 */
export function selectCases(filter: string | undefined, option = 'filter'): CaseDefinition[] {
  for (const pattern of filterPatterns(filter)) {
    const test = patternTest(pattern);
    if (!allCases.some((definition) => test(definition.id))) {
      throw new InvalidOptionError(
        option,
        `"${pattern}" matches no case (give ids such as echo.hello, groups such as echo, or * wildcards)`,
      );
    }
  }
  const matches = caseFilter(filter);
  return allCases.filter((definition) => matches(definition.id));
}

function info(definition: CaseDefinition): CaseInfo {
  const { id, description, tier, codecs, defaultCodecs, needs, timeoutMs } = definition;
  return { id, description, tier, codecs, defaultCodecs, needs, timeoutMs };
}

/**
 * Every case (or those `filter` selects), without running anything. A pattern that matches no
 * case is refused, as by {@link selectCases}; `option` names the filter in that error.
 */
export function listCases(filter?: string, option?: string): CaseInfo[] {
  return selectCases(filter, option).map(info);
}

/**
 * The target's name, kind and capabilities, as reports show them. The codec is named by `codec`
 * once loaded; without it, by the reference (a `Codec`'s name, or the name or specifier given).
 */
export function describeTarget(target: Target, codec?: Codec, oracle?: string): TargetInfo {
  const reference = target.kind === 'external' ? target.codec : target.options?.codec;
  const codecName =
    codec?.name ?? (typeof reference === 'object' ? reference.name : reference) ?? undefined;
  const described = {
    ...(codecName === undefined ? {} : { codec: codecName }),
    ...(oracle === undefined ? {} : { oracle }),
  };
  if (target.kind === 'strategy') {
    return {
      name: target.name ?? target.strategy.name,
      kind: 'strategy',
      capabilities: target.strategy.capabilities,
      ...described,
    };
  }
  const address = formatServerAddress(externalAddress(target));
  return {
    name: target.name ?? address,
    kind: 'external',
    capabilities: target.capabilities,
    address,
    ...described,
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
  'proxy-protocol': (target) =>
    target.kind === 'external' && target.proxyProtocol === undefined
      ? 'needs a target that takes PROXY protocol headers; declare it with proxyProtocol (--proxy-protocol)'
      : undefined,
  'this-process': (target) =>
    (capabilitiesOf(target).runsIn ?? 'this-process') !== 'this-process'
      ? 'needs a server in one process (a server-wide limit, shared memory with its handler); this one runs in child processes'
      : undefined,
  tls: (target) =>
    target.tls ? undefined : 'needs a target that serves TLS; declare it with tls (--tls)',
};

function capabilitiesOf(target: Target) {
  return target.kind === 'strategy' ? target.strategy.capabilities : target.capabilities;
}

/**
 * Decides up front whether a case runs against a target, and with which codecs: the pinned one
 * if it has the case's trait, else the case's default built-in codecs.
 */
export function planCase(
  prepared: PreparedTarget,
  definition: CaseInfo,
): { skip: string } | { codecs: Codec[] } {
  for (const need of definition.needs) {
    const reason = NEED_REASONS[need](prepared.target);
    if (reason) return { skip: reason };
  }
  if (prepared.pinned) {
    const reason = lacksTrait(prepared.pinned.codec, definition.codecs);
    return reason === undefined ? { codecs: [prepared.pinned.codec] } : { skip: reason };
  }
  const codecs = definition.defaultCodecs
    .map((name) => getCodec(name))
    .filter((codec) => lacksTrait(codec, definition.codecs) === undefined);
  if (codecs.length === 0) {
    return {
      skip: `applies to ${traitText[definition.codecs]}; no built-in codec qualifies: pin one that does (options.codec)`,
    };
  }
  return { codecs };
}

function validate(target: Target): void {
  if (target.kind === 'external') {
    if (target.path !== undefined) {
      if (!target.path) throw new InvalidOptionError('path', 'expected a Unix socket path');
    } else if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
      throw new InvalidOptionError('port', `expected 1-65535, got ${String(target.port)}`);
    } else if (!target.host) {
      throw new InvalidOptionError('host', 'an external target needs a host');
    }
    if (target.codec === undefined && target.workload === undefined)
      throw new InvalidOptionError(
        'codec',
        'an external target needs the codec it speaks (or a workload that names it)',
      );
  } else if (target.kind !== 'strategy') {
    throw new InvalidOptionError('kind', `expected 'strategy' or 'external'`);
  }
}

/**
 * Runs one case against one target: starts what it needs, enforces its time limit, and always
 * destroys every socket and server it opened before returning.
 */
export async function runCase(
  prepared: PreparedTarget,
  definition: CaseDefinition,
): Promise<CaseResult> {
  const base = { id: definition.id, description: definition.description, tier: definition.tier };
  const plan = planCase(prepared, definition);
  if ('skip' in plan)
    return { ...base, status: 'skip', message: plan.skip, durationMs: 0, codecs: [] };
  const codecs = plan.codecs.map((codec) => codec.name);
  const run = new CaseRun(prepared, plan.codecs);
  const started = performance.now();
  const result = (status: CaseResult['status'], message?: string): CaseResult => ({
    ...base,
    status,
    ...(message === undefined ? {} : { message }),
    durationMs: Math.round(performance.now() - started),
    codecs,
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
    if (error instanceof WrongReply && prepared.oracle.note)
      return result('fail', `${error.message} (${prepared.oracle.note})`);
    if (error instanceof CaseFailure) return result('fail', error.message);
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return result('fail', `unexpected error: ${detail}`);
  } finally {
    clearTimeout(timer);
    await run.cleanup();
  }
}

/**
 * Runs every case (or those matching `options.filter`) against `target`, one after another. The
 * target's workload and codec are loaded first; a reference that is not one rejects
 * (`SWITCHYARD_ERR_CODEC_NOT_FOUND`, `SWITCHYARD_ERR_CODEC_INVALID`, `SWITCHYARD_ERR_UNKNOWN_CODEC`,
 * `SWITCHYARD_ERR_WORKLOAD_NOT_FOUND`, `SWITCHYARD_ERR_WORKLOAD_INVALID`).
 */
export async function runSuite(
  target: Target,
  options: RunSuiteOptions = {},
): Promise<SuiteReport> {
  validate(target);
  const selected = selectCases(options.filter);
  const prepared = await prepareTarget(target);
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = [];
  for (const definition of selected) {
    const result = await runCase(prepared, definition);
    results.push(result);
    options.onResult?.(result);
  }
  const count = (status: CaseResult['status']) => results.filter((r) => r.status === status).length;
  return {
    target: describeTarget(
      target,
      prepared.pinned?.codec,
      target.workload === undefined ? undefined : prepared.oracle.label,
    ),
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
