import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Starting one of a package's own modules in another process or thread, from the build or from
 * TypeScript sources. From the build a module is plain JavaScript. From sources (tests run on
 * TypeScript), the child or thread goes through tsx and resolves workspace packages to their
 * sources with the `@switchyard/source` condition.
 */

/** The export condition under which every workspace package points at its TypeScript sources. */
const SOURCE_CONDITION = '--conditions=@switchyard/source';

/** True when `url` names a TypeScript module: whoever runs it runs from sources, through tsx. */
export function isSourceModule(url: string | URL): boolean {
  return /\.[cm]?ts$/.test(typeof url === 'string' ? url : url.pathname);
}

/**
 * The URL of a module shipped with the caller: `source` (a `.ts` path) when the caller itself
 * runs from sources, else `build` (by default `source` with `.js`). Both are relative to `base`,
 * the caller's `import.meta.url`; they differ when the build moves the module, for example when
 * the caller is bundled into `dist/` and the module is an entry under `dist/bench/`.
 */
export function siblingModule(base: string, source: string, build?: string): URL {
  const path = isSourceModule(base) ? source : (build ?? source.replace(/\.ts$/, '.js'));
  return new URL(path, base);
}

/**
 * The arguments that make `node` (`process.execPath`) run `module` in a child process; the
 * module's own arguments go after them.
 */
export function childProcessArgs(module: URL): string[] {
  const file = fileURLToPath(module);
  if (!isSourceModule(module)) return [file];
  return ['--import', tsxExport('.'), SOURCE_CONDITION, file];
}

/** What to give `new Worker(filename, { ...options, workerData })` so the thread runs a module. */
export interface WorkerThreadStart {
  readonly filename: string | URL;
  /** `execArgv` only where the thread needs more than the process's own options. */
  readonly options: { readonly eval: boolean; readonly execArgv?: string[] };
}

/**
 * How to run `module` on a worker thread. A built module inherits the process's options: given
 * explicitly, the per-process ones among them (`--expose-gc`, `--max-old-space-size`) would
 * make `new Worker` throw `ERR_WORKER_INVALID_EXEC_ARGV`. From sources the thread registers tsx
 * itself before importing the module: `--import tsx` in `execArgv` does not hook a worker's
 * entry on Node 20.
 */
export function workerThreadStart(module: URL): WorkerThreadStart {
  if (!isSourceModule(module)) return { filename: module, options: { eval: false } };
  const api = JSON.stringify(tsxExport('./esm/api'));
  const entry = JSON.stringify(module.href);
  return {
    filename: `import(${api}).then(({ register }) => { register(); return import(${entry}); })`,
    options: { eval: true, execArgv: [...process.execArgv, SOURCE_CONDITION] },
  };
}

type ExportTarget = string | { readonly import?: ExportTarget; readonly default?: ExportTarget };

/**
 * The file URL of one of tsx's ESM exports, read from tsx's own exports map (its CommonJS build of
 * the API cannot register the ESM hooks). Resolved from here, so any working directory works.
 */
function tsxExport(subpath: string): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as { exports: Record<string, ExportTarget> };
  let target = manifest.exports[subpath];
  while (target !== undefined && typeof target !== 'string') {
    target = target.import ?? target.default;
  }
  if (target === undefined) throw new Error(`tsx exports no ESM entry at ${subpath}`);
  return new URL(target, pathToFileURL(manifestPath)).href;
}
