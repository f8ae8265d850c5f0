import { describe, expect, test } from 'vitest';
import { formatTable, listCases, type SuiteReport, toJson, toJUnitXml } from '../src/index.js';

const capabilities = { connections: 'concurrent', parallelHandlers: false } as const;

function report(name: string, failMessage: string): SuiteReport {
  return {
    target: { name, kind: 'strategy', capabilities },
    node: 'v20.20.0',
    startedAt: '2026-11-29T00:00:00.000Z',
    durationMs: 1234,
    results: [
      {
        id: 'echo.hello',
        description: 'd',
        tier: 'MUST',
        status: 'pass',
        durationMs: 3,
        codecs: ['raw'],
      },
      {
        id: 'echo.large',
        description: 'd',
        tier: 'MUST',
        status: 'fail',
        message: failMessage,
        durationMs: 40,
        codecs: ['raw'],
      },
      {
        id: 'handler.parallel',
        description: 'd',
        tier: 'MUST',
        status: 'skip',
        message: 'needs parallel handlers',
        durationMs: 0,
        codecs: [],
      },
    ],
    summary: { total: 3, passed: 1, failed: 1, skipped: 1 },
  };
}

const reports = [
  report('selector', 'byte 4096 of 16777216 differs'),
  report('weird <&"\'> name', 'bad \u0001 control <tag> & "quote"'),
];

describe('formatTable', () => {
  test('shows a case x target matrix, totals, then failure messages and skip reasons', () => {
    const table = formatTable(reports);
    expect(table).toContain('selector');
    expect(table).toMatch(/echo\.hello.*pass.*pass/);
    expect(table).toMatch(/echo\.large.*FAIL.*FAIL/);
    expect(table).toMatch(/handler\.parallel.*skip.*skip/);
    expect(table).toContain('1 / 1 / 1');
    expect(table).toContain('FAIL selector echo.large: byte 4096 of 16777216 differs');
    expect(table).toContain('skip selector handler.parallel: needs parallel handlers');
  });

  test('puts rows in suite order', () => {
    const table = formatTable([report('a', 'x')]);
    const ids = listCases().map((info) => info.id);
    const positions = ['echo.hello', 'echo.large', 'handler.parallel'].map((id) =>
      table.indexOf(id),
    );
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(ids.indexOf('echo.hello')).toBeLessThan(ids.indexOf('handler.parallel'));
  });
});

test('toJson round-trips the reports', () => {
  expect(JSON.parse(toJson(reports))).toEqual({ reports });
});

describe('toJUnitXml', () => {
  const xml = toJUnitXml(reports);

  test('has one testsuite per target and one testcase per case, with totals', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml).toContain(
      '<testsuites name="switchyard conformance" tests="6" failures="2" errors="0" skipped="2" time="2.468">',
    );
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain(
      '<testcase classname="conformance.selector" name="echo.hello" time="0.003"/>',
    );
    expect(xml).toContain('<failure message="byte 4096 of 16777216 differs" type="MUST">');
    expect(xml).toContain('<skipped message="needs parallel handlers"/>');
  });

  test('escapes markup and drops characters XML cannot carry', () => {
    expect(xml).toContain('name="weird &lt;&amp;&quot;&apos;&gt; name"');
    expect(xml).toContain('bad  control &lt;tag&gt; &amp; &quot;quote&quot;');
    expect(xml).not.toContain('\u0001');
    // Balanced: every opened element is closed.
    for (const element of ['testsuites', 'testsuite', 'properties']) {
      expect(xml.match(new RegExp(`<${element}[ >]`, 'g'))?.length).toBe(
        xml.match(new RegExp(`</${element}>`, 'g'))?.length,
      );
    }
  });
});
