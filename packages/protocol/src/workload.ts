import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveCodecSpecifier } from './codec-loader.js';
import { WorkloadInvalidError, WorkloadNotFoundError } from './errors.js';
import { type HandlerOptions, resolveHandlerSpecifier } from './handler.js';
import { hasScheme, resolveModuleSpecifier } from './modules.js';

/** The cell a request is made for: the size the bench asks for (if the workload takes sizes). */
export interface WorkloadCell {
  /** Payload bytes asked for, from `bench.sizes` or `--sizes`; absent for a workload without sizes. */
  readonly size?: number;
  readonly connections: number;
  readonly depth: number;
}

/**
 * What a good reply to a request is: the oracle the conformance suite and the bench check every
 * reply with. Give `check`, `expect`, or both (then both must hold).
 */
export interface ReplyOracle {
  /**
   * The `seq`th request frame (from 0) of connection `connection` (from 0, unique across the
   * load generators of one cell): the frame the codec encodes, not its wire bytes. Requests of
   * one connection are sent, and answered, in `seq` order, so a request may rely on what the
   * earlier ones did (a GET after its SET). Strings are sent as UTF-8.
   */
  request(seq: number, connection: number, cell: WorkloadCell): Uint8Array | string;
  /**
   * `true` when `reply` is a good reply to `request`; otherwise why not (a reason, or `false`).
   * A throw counts as a wrong reply, with its message as the reason.
   */
  check?(request: Buffer, reply: Buffer): boolean | string;
  /**
   * The exact reply frame `request` must get. Required for a codec that declares `frameIsChunk`
   * (`raw`): there a reply has no frame boundary of its own, so only its expected bytes say
   * where it ends. Elsewhere a shortcut for a `check` that compares bytes.
   */
  expect?(request: Buffer): Uint8Array | string;
}

/** How the bench drives a workload, and the cells it is measured in unless the caller says. */
export interface WorkloadBenchShape {
  /** `stream` (default): long-lived connections. `churn`: connect, one request, close. */
  readonly pattern?: 'stream' | 'churn';
  /** The figure a table ranks by. Default `req/s` (`conn/s` for churn). */
  readonly unit?: 'req/s' | 'MB/s' | 'conn/s';
  /** Request sizes to measure, handed to `request` as `cell.size`. Absent: one size, the workload's. */
  readonly sizes?: readonly number[];
  /** Connection counts to measure. Default `[1, 10]`. */
  readonly connections?: readonly number[];
  /** Closed loop: requests in flight per connection. Default 1. */
  readonly depth?: number;
  /** What `--quick` measures instead (a short look, as `switchyard start` takes). */
  readonly quick?: { readonly sizes?: readonly number[]; readonly connections?: readonly number[] };
}

/**
 * A service's traffic, described once for the bench and the conformance suite: the codec and the
 * handler that serve it, how to make requests, and what a good reply is. A module whose default
 * export is one can be named wherever a workload is asked for (see {@link loadWorkload}); the
 * bench's load generators and the servers it starts import it in their own processes.
 */
export interface Workload extends ReplyOracle {
  /** For reports and cell ids. */
  readonly name: string;
  readonly description?: string;
  /** The codec: a built-in name or a module specifier (a path is relative to the workload module). */
  readonly codec: string;
  /** The handler to serve: a built-in name or a module specifier (paths as for `codec`). */
  readonly handler: string;
  /** Handed to the handler as `context.options` (structured-cloneable). */
  readonly handlerOptions?: HandlerOptions;
  readonly bench?: WorkloadBenchShape;
}

/** A workload as loaded: codec and handler made into specifiers any process resolves alike. */
export interface LoadedWorkload extends Workload {
  /** Where it came from (a module specifier, or `value`), for errors and reports. */
  readonly label: string;
  /** The module a child process imports to get the same workload; absent for a value. */
  readonly module?: string;
}

/** Where a workload comes from: a built-in name, a module specifier, or the workload itself. */
export type WorkloadReference = string | Workload;

/** Module specifiers of the built-in workloads, by name, in the order the bench runs them. */
export const builtinWorkloads = Object.freeze({
  echo: '@switchyard/protocol/workloads/echo',
  burn: '@switchyard/protocol/workloads/burn',
  bulk: '@switchyard/protocol/workloads/bulk',
  churn: '@switchyard/protocol/workloads/churn',
} as const);

export type BuiltinWorkloadName = keyof typeof builtinWorkloads;

export function isBuiltinWorkloadName(name: string): name is BuiltinWorkloadName {
  return Object.hasOwn(builtinWorkloads, name);
}

/** Every problem that keeps `value` from being a reply oracle; empty when it is one. */
export function oracleProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null)
    return [`expected an object, got ${typeOf(value)}`];
  const candidate = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof candidate.request !== 'function') problems.push('request must be a function');
  for (const key of ['check', 'expect'] as const) {
    if (candidate[key] !== undefined && typeof candidate[key] !== 'function') {
      problems.push(`${key} must be a function when given`);
    }
  }
  if (candidate.check === undefined && candidate.expect === undefined) {
    problems.push('give check(request, reply) or expect(request): what a good reply is');
  }
  return problems;
}

/** Every problem that keeps `value` from being a workload; empty when it is one. */
export function workloadProblems(value: unknown): string[] {
  const problems = oracleProblems(value);
  if (typeof value !== 'object' || value === null) return problems;
  const candidate = value as Record<string, unknown>;
  for (const key of ['name', 'codec', 'handler'] as const) {
    if (typeof candidate[key] !== 'string' || candidate[key] === '') {
      problems.push(`${key} must be a non-empty string`);
    }
  }
  const options = candidate.handlerOptions;
  if (
    options !== undefined &&
    (typeof options !== 'object' || options === null || Array.isArray(options))
  ) {
    problems.push('handlerOptions must be an object when given');
  }
  problems.push(...benchShapeProblems(candidate.bench));
  return problems;
}

function benchShapeProblems(shape: unknown): string[] {
  if (shape === undefined) return [];
  if (typeof shape !== 'object' || shape === null) return ['bench must be an object when given'];
  const bench = shape as Record<string, unknown>;
  const problems: string[] = [];
  if (bench.pattern !== undefined && bench.pattern !== 'stream' && bench.pattern !== 'churn') {
    problems.push(
      `bench.pattern must be "stream" or "churn", got ${JSON.stringify(bench.pattern)}`,
    );
  }
  if (bench.unit !== undefined && !['req/s', 'MB/s', 'conn/s'].includes(bench.unit as string)) {
    problems.push(
      `bench.unit must be "req/s", "MB/s" or "conn/s", got ${JSON.stringify(bench.unit)}`,
    );
  }
  const counts = (key: string, list: unknown) => {
    if (list === undefined) return;
    if (!Array.isArray(list) || list.length === 0 || !list.every(isPositiveInteger)) {
      problems.push(`${key} must be a non-empty list of positive integers`);
    }
  };
  counts('bench.sizes', bench.sizes);
  counts('bench.connections', bench.connections);
  if (bench.depth !== undefined && !isPositiveInteger(bench.depth)) {
    problems.push('bench.depth must be a positive integer');
  }
  if (bench.quick !== undefined) {
    if (typeof bench.quick !== 'object' || bench.quick === null)
      problems.push('bench.quick must be an object');
    else {
      const quick = bench.quick as Record<string, unknown>;
      counts('bench.quick.sizes', quick.sizes);
      counts('bench.quick.connections', quick.connections);
    }
  }
  return problems;
}

function isPositiveInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) > 0;
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** Throws `SWITCHYARD_ERR_WORKLOAD_INVALID` unless `value` is a reply oracle; returns it typed. */
export function assertOracle(value: unknown, what: string): ReplyOracle {
  const problems = oracleProblems(value);
  if (problems.length > 0) throw new WorkloadInvalidError(what, problems.join('; '));
  return value as ReplyOracle;
}

/** Throws `SWITCHYARD_ERR_WORKLOAD_INVALID` unless `value` is a workload; returns it typed. */
export function assertWorkload(value: unknown, what: string): Workload {
  const problems = workloadProblems(value);
  if (problems.length > 0) throw new WorkloadInvalidError(what, problems.join('; '));
  return value as Workload;
}

/**
 * A built-in name becomes its module; a path is made absolute against `baseDir` (as a `file:`
 * URL) so that every process resolves it alike; a URL or a package name stays as it is.
 */
export function resolveWorkloadSpecifier(spec: string, baseDir?: string): string {
  return isBuiltinWorkloadName(spec)
    ? builtinWorkloads[spec]
    : resolveModuleSpecifier(spec, baseDir);
}

/**
 * The workload a reference stands for, with its `codec` and `handler` made into specifiers that
 * resolve the same from any process: paths in a module's workload are relative to the module,
 * paths in a value relative to `baseDir` (default the current directory). A module is imported
 * and its default export checked. Throws `SWITCHYARD_ERR_WORKLOAD_NOT_FOUND` when the module
 * cannot be resolved or throws while loading (the loader's error is the `cause`),
 * `SWITCHYARD_ERR_WORKLOAD_INVALID` listing every problem when what it exports is not a workload.
 */
export async function loadWorkload(
  reference: WorkloadReference,
  baseDir?: string,
): Promise<LoadedWorkload> {
  if (typeof reference !== 'string') {
    const workload = assertWorkload(reference, 'value');
    return withSpecifiers(workload, 'value', undefined, baseDir ?? process.cwd());
  }
  const specifier = resolveWorkloadSpecifier(reference, baseDir);
  let mod: { default?: unknown };
  try {
    mod = await import(specifier);
  } catch (error) {
    throw new WorkloadNotFoundError(specifier, { cause: error });
  }
  const workload = assertWorkload(mod.default, `module ${specifier} (its default export)`);
  return withSpecifiers(workload, specifier, specifier, moduleDirectory(specifier));
}

/**
 * The directory relative paths in a module's workload are taken from: the module's own, when it
 * is a file. A package name is resolved through `import.meta.resolve` to find it.
 */
function moduleDirectory(specifier: string): string | undefined {
  let url = specifier;
  if (!hasScheme(specifier)) {
    try {
      url = import.meta.resolve(specifier);
    } catch {
      return undefined;
    }
  }
  return url.startsWith('file:') ? dirname(fileURLToPath(url)) : undefined;
}

function withSpecifiers(
  workload: Workload,
  label: string,
  module: string | undefined,
  baseDir: string | undefined,
): LoadedWorkload {
  // Bind the functions: callers pass them around detached from the object they came on.
  return {
    ...workload,
    request: workload.request.bind(workload),
    check: workload.check?.bind(workload),
    expect: workload.expect?.bind(workload),
    codec: resolveCodecSpecifier(workload.codec, baseDir),
    handler: resolveHandlerSpecifier(workload.handler, baseDir),
    label,
    ...(module === undefined ? {} : { module }),
  };
}

/** A request frame as bytes: strings as UTF-8. */
export function frameBytes(frame: Uint8Array | string): Buffer {
  if (typeof frame === 'string') return Buffer.from(frame);
  return Buffer.isBuffer(frame)
    ? frame
    : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

/**
 * Why `reply` is not a good reply to `request` by the oracle, or undefined when it is. Runs
 * `expect` (byte comparison) and `check`; a throw from either is a wrong reply too.
 */
export function replyProblem(
  oracle: ReplyOracle,
  request: Buffer,
  reply: Buffer,
): string | undefined {
  try {
    if (oracle.expect) {
      const expected = frameBytes(oracle.expect(request));
      if (!expected.equals(reply)) return `expected ${previewBytes(expected)}`;
    }
    if (oracle.check) {
      const verdict = oracle.check(request, reply);
      if (verdict === true) return undefined;
      return typeof verdict === 'string' && verdict !== '' ? verdict : 'check returned false';
    }
    return undefined;
  } catch (error) {
    return `check threw: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Most bytes of a frame shown in a message. */
const PREVIEW_BYTES = 64;

/**
 * A frame as a reader can take it in: quoted text when it is printable, else hex; cut at 64 bytes
 * with the full length given (`"GET k1" (6 B)`, `0a ff 00 ... (1024 B)`).
 */
export function previewBytes(bytes: Uint8Array): string {
  const head = Buffer.from(
    bytes.buffer,
    bytes.byteOffset,
    Math.min(bytes.byteLength, PREVIEW_BYTES),
  );
  const text = head.toString('utf8');
  const printable = /^[\x20-\x7e\t]*$/.test(text);
  const shown = printable
    ? JSON.stringify(text)
    : head.toString('hex').replace(/(..)(?!$)/g, '$1 ');
  const cut = bytes.byteLength > PREVIEW_BYTES ? ' ...' : '';
  return `${shown}${cut} (${bytes.byteLength} B)`;
}

/** One line for a wrong reply: the request, the reply and the reason. */
export function describeWrongReply(request: Uint8Array, reply: Uint8Array, reason: string): string {
  return `wrong reply to request ${previewBytes(request)}: got ${previewBytes(reply)}: ${reason}`;
}
