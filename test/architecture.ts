// The import graph's rules, as functions of a repository root, so that the test can run them on
// this repository and on a small one that breaks every rule.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Longest file allowed under `packages/*\/src`. */
export const MAX_SOURCE_LINES = 350;

/** Root files every package may reach by relative path: the shared build configuration. */
const SHARED_ROOT_FILES = ['tsup.config.base.ts', 'tsup.config.base.js'];
const SOURCE_EXTENSIONS = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.turbo', 'coverage', 'reports']);
const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
] as const;

export interface WorkspacePackage {
  name: string;
  /** Relative to the repository root, with `/`: `packages/server-core`. */
  dir: string;
  manifest: Partial<Record<(typeof DEPENDENCY_FIELDS)[number], Record<string, string>>>;
}

/** A module specifier or file reference found in a source file. */
export interface Reference {
  specifier: string;
  line: number;
}

const posix = (path: string) => path.split(sep).join('/');

/** The workspace packages: `packages/*`, `apps/*` and `lab`, wherever a package.json is. */
export function workspacePackages(root: string): WorkspacePackage[] {
  const dirs = ['packages', 'apps'].flatMap((parent) =>
    existsSync(join(root, parent))
      ? readdirSync(join(root, parent)).map((child) => `${parent}/${child}`)
      : [],
  );
  return [...dirs, 'lab']
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      return { name: manifest.name, dir, manifest };
    });
}

/** Strategy packages: `packages/server-*` except `server-core`, which they all share. */
export function strategyPackages(packages: WorkspacePackage[]): WorkspacePackage[] {
  return packages.filter(
    ({ dir }) => dir.startsWith('packages/server-') && dir !== 'packages/server-core',
  );
}

/** Every JavaScript or TypeScript file in `dir` (relative to `root`), build output left out. */
export function sourceFiles(root: string, dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) {
      files.push(...sourceFiles(root, path));
    } else if (entry.isFile() && SOURCE_EXTENSIONS.test(entry.name)) {
      files.push(path);
    }
  }
  return files;
}

/**
 * What a file imports or points at: import and export declarations, `import()`, `require()` and
 * triple-slash references (as TypeScript's pre-processor reads them), plus the string literal in
 * `new URL('...', import.meta.url)`, `import.meta.resolve('...')` and `require.resolve('...')`.
 */
export function references(text: string): Reference[] {
  const lineAt = (position: number) => text.slice(0, position).split('\n').length;
  const info = ts.preProcessFile(text, true, true);
  const found = [...info.importedFiles, ...info.referencedFiles].map(({ fileName, pos }) => ({
    specifier: fileName,
    line: lineAt(pos),
  }));
  const pointers =
    /\bnew URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url|\b(?:import\.meta|require)\.resolve\(\s*(['"])([^'"]+)\3/g;
  for (const match of text.matchAll(pointers)) {
    found.push({ specifier: match[2] ?? match[4]!, line: lineAt(match.index) });
  }
  return found;
}

/** Whether `specifier` names package `name` or one of its subpaths. */
const namesPackage = (specifier: string, name: string) =>
  specifier === name || specifier.startsWith(`${name}/`);

const isInside = (dir: string, path: string) => path === dir || path.startsWith(`${dir}/`);

/** The package whose directory `path` lies in, if any. */
function packageOf(packages: WorkspacePackage[], path: string): WorkspacePackage | undefined {
  return packages.find(({ dir }) => isInside(dir, path));
}

/** Where a relative specifier in `file` points, relative to the root; undefined if not relative. */
function target(root: string, file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '..') {
    return undefined;
  }
  return posix(relative(root, resolve(root, file, '..', specifier)));
}

/** (a) A strategy package that depends on or imports another strategy, in any of its files. */
export function strategyCrossings(root: string): string[] {
  const packages = workspacePackages(root);
  const strategies = strategyPackages(packages);
  const offenders: string[] = [];
  for (const strategy of strategies) {
    const others = strategies.filter((other) => other !== strategy);
    for (const field of DEPENDENCY_FIELDS) {
      for (const dependency of Object.keys(strategy.manifest[field] ?? {})) {
        if (others.some(({ name }) => name === dependency)) {
          offenders.push(`${strategy.dir}/package.json: ${field} has ${dependency}`);
        }
      }
    }
    for (const file of sourceFiles(root, strategy.dir)) {
      for (const { specifier, line } of references(readFileSync(join(root, file), 'utf8'))) {
        const into = target(root, file, specifier);
        const other = others.find(
          ({ name, dir }) =>
            namesPackage(specifier, name) || (into !== undefined && isInside(dir, into)),
        );
        if (other) offenders.push(`${file}:${line}: '${specifier}' reaches ${other.name}`);
      }
    }
  }
  return offenders;
}

/** (b) A relative specifier that leaves its own package's directory (into another package). */
export function relativeEscapes(root: string): string[] {
  const packages = workspacePackages(root);
  const offenders: string[] = [];
  for (const pkg of packages) {
    for (const file of sourceFiles(root, pkg.dir)) {
      for (const { specifier, line } of references(readFileSync(join(root, file), 'utf8'))) {
        const into = target(root, file, specifier);
        if (into === undefined || isInside(pkg.dir, into) || SHARED_ROOT_FILES.includes(into)) {
          continue;
        }
        const where = packageOf(packages, into)?.name ?? into;
        offenders.push(`${file}:${line}: '${specifier}' leaves ${pkg.dir} for ${where}`);
      }
    }
  }
  return offenders;
}

/** (c) Files under `packages/*\/src` longer than {@link MAX_SOURCE_LINES}. */
export function longSourceFiles(root: string): string[] {
  return workspacePackages(root)
    .filter(({ dir }) => dir.startsWith('packages/') && existsSync(join(root, dir, 'src')))
    .flatMap(({ dir }) => sourceFiles(root, `${dir}/src`))
    .map((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return { file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
    })
    .filter(({ lines }) => lines > MAX_SOURCE_LINES)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
}
