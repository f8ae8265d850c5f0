// The import graph and file sizes the codebase keeps: strategies never reach each other, no file
// reaches into another package by relative path, and library sources stay short enough to read
// in one sitting. Each check lists every offender, so one run shows all there is to fix.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  longSourceFiles,
  MAX_SOURCE_LINES,
  references,
  relativeEscapes,
  strategyCrossings,
} from './architecture.js';

const repository = fileURLToPath(new URL('..', import.meta.url));

describe('this repository', () => {
  it('has no strategy package that depends on or imports another strategy', () => {
    expect(strategyCrossings(repository)).toEqual([]);
  });

  it('has no file that imports another package through a relative path', () => {
    expect(relativeEscapes(repository)).toEqual([]);
  });

  it(`has no file under packages/*/src longer than ${MAX_SOURCE_LINES} lines`, () => {
    expect(longSourceFiles(repository)).toEqual([]);
  });
});

describe('the checks', () => {
  // A small repository that breaks every rule once, and keeps to them elsewhere.
  const root = mkdtempSync(join(tmpdir(), 'switchyard-architecture-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const manifest = (name: string, dependencies: Record<string, string> = {}) =>
    JSON.stringify({ name, dependencies });
  write('tsup.config.base.ts', 'export const base = {};\n');
  write('packages/server-core/package.json', manifest('@x/server-core'));
  write('packages/server-core/src/index.ts', 'export const core = 1;\n');
  write('packages/server-a/package.json', manifest('@x/server-a', { '@x/server-b': '1' }));
  write(
    'packages/server-a/src/index.ts',
    [
      "import { core } from '@x/server-core';",
      "import { b } from '@x/server-b/sub';",
      "export { own } from './own.js';",
      "const helper = await import('../../server-core/src/index.js');",
      'export const a = [core, b, helper];',
      '',
    ].join('\n'),
  );
  write('packages/server-a/src/own.ts', 'export const own = 1;\n');
  write('packages/server-a/tsup.config.ts', "import { base } from '../../tsup.config.base.js';\n");
  write('packages/server-b/package.json', manifest('@x/server-b'));
  write('packages/server-b/src/long.ts', 'export const b = 1;\n'.repeat(MAX_SOURCE_LINES + 1));
  write(
    'packages/server-b/test/uses-a.test.ts',
    "const a = require('../../server-a/src/index.js');\nexport default a;\n",
  );
  write('lab/package.json', manifest('@x/lab', { '@x/server-a': '1', '@x/server-b': '1' }));
  write(
    'lab/probe.ts',
    "import { a } from '@x/server-a';\nconst child = new URL('../packages/server-b/src/long.ts', import.meta.url);\nexport { a, child };\n",
  );

  it('finds every dependency and import between strategies, in any folder', () => {
    expect(strategyCrossings(root)).toEqual([
      'packages/server-a/package.json: dependencies has @x/server-b',
      "packages/server-a/src/index.ts:2: '@x/server-b/sub' reaches @x/server-b",
      "packages/server-b/test/uses-a.test.ts:1: '../../server-a/src/index.js' reaches @x/server-a",
    ]);
  });

  it('finds every relative path into another package, anywhere, but not the shared build config', () => {
    expect(relativeEscapes(root)).toEqual([
      "packages/server-a/src/index.ts:4: '../../server-core/src/index.js' leaves packages/server-a for @x/server-core",
      "packages/server-b/test/uses-a.test.ts:1: '../../server-a/src/index.js' leaves packages/server-b for @x/server-a",
      "lab/probe.ts:2: '../packages/server-b/src/long.ts' leaves lab for @x/server-b",
    ]);
  });

  it('finds every long file under packages/*/src', () => {
    expect(longSourceFiles(root)).toEqual([
      `packages/server-b/src/long.ts: ${MAX_SOURCE_LINES + 1} lines`,
    ]);
  });

  it('reads type-only imports, re-exports, dynamic imports and requires', () => {
    const text = [
      "import type { A } from 'a';",
      "export * from 'b';",
      "const c = import('c');",
      "const d = require('d');",
      "const e = import.meta.resolve('e');",
    ].join('\n');
    expect(references(text).map(({ specifier, line }) => `${line}:${specifier}`)).toEqual([
      '1:a',
      '2:b',
      '3:c',
      '4:d',
      '5:e',
    ]);
  });
});
