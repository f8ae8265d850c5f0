import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as protocol from '../src/index.js';
import { errorCodes, SwitchyardError } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Rows of every Markdown table whose first cell is a `SWITCHYARD_ERR_*` code. */
const rows = readme
  .split('\n')
  .map((line) => line.match(/^\|\s*`(SWITCHYARD_ERR_[A-Z_]+)`\s*\|\s*`(\w+)`\s*\|\s*(.*?)\s*\|$/))
  .filter((match) => match !== null)
  .map(([, code, className, when]) => ({ code: code!, className: className!, when: when! }));

describe('the README error table', () => {
  test('lists every code in errorCodes', () => {
    const listed = new Set(rows.map((row) => row.code));
    expect(errorCodes.filter((code) => !listed.has(code))).toEqual([]);
  });

  test('lists no code that does not exist, and each code once', () => {
    const known = new Set<string>(errorCodes);
    expect(rows.map((row) => row.code).filter((code) => !known.has(code))).toEqual([]);
    expect(rows).toHaveLength(new Set(rows.map((row) => row.code)).size);
  });

  test('mentions no other SWITCHYARD_ERR_ code anywhere in the text', () => {
    const known = new Set<string>(errorCodes);
    const mentioned = readme.match(/SWITCHYARD_ERR_[A-Z_]+/g) ?? [];
    expect(mentioned.filter((code) => !known.has(code))).toEqual([]);
  });

  test('names, for each code, the exported class that carries it, and says when', () => {
    for (const { code, className, when } of rows) {
      const ErrorClass = (protocol as Record<string, unknown>)[className];
      expect(ErrorClass, className).toBeTypeOf('function');
      // Every error class takes (string, ...) and ignores what it does not need.
      const error = new (ErrorClass as new (...args: unknown[]) => unknown)('x', []);
      expect(error).toBeInstanceOf(SwitchyardError);
      expect((error as SwitchyardError).code, className).toBe(code);
      expect(when.length).toBeGreaterThan(10);
    }
  });
});
