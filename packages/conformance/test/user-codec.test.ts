import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Codec, RunningServer, TcpAddress } from '@switchyard/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { type CaseStatus, listCases, runSuite, type SuiteReport } from '../src/index.js';
import { netstringCodec } from './fixtures/netstring.js';
import { faithful } from './strategies.js';

/** The groups that must run against any codec. */
const GROUPS = 'echo,stream,framing';
const GROUP_CASES = listCases(GROUPS).map((info) => info.id);
const NETSTRING_URL = new URL('./fixtures/netstring.ts', import.meta.url);
/** As a user types it on the command line: a path relative to the current directory. */
const NETSTRING_PATH = `./${relative(process.cwd(), fileURLToPath(NETSTRING_URL))}`;

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.destroy()));
});

function statuses(report: SuiteReport): Record<string, CaseStatus> {
  return Object.fromEntries(report.results.map((result) => [result.id, result.status]));
}

/** Every case of the groups passed, each with the netstring codec only. */
function expectAllPassed(report: SuiteReport) {
  const messages = report.results.map((r) => `${r.id}: ${r.status} ${r.message ?? ''}`).join('\n');
  expect(statuses(report), messages).toEqual(
    Object.fromEntries(GROUP_CASES.map((id) => [id, 'pass'])),
  );
  for (const result of report.results) expect(result.codecs).toEqual(['netstring']);
  expect(report.target.codec).toBe('netstring');
}

describe('a user codec runs the echo, stream and framing cases', () => {
  test('given as a Codec object, on a strategy', async () => {
    const report = await runSuite(
      { kind: 'strategy', strategy: faithful, options: { codec: netstringCodec } },
      { filter: GROUPS },
    );
    expectAllPassed(report);
  });

  test('given as a module path, on a strategy', async () => {
    const report = await runSuite(
      { kind: 'strategy', strategy: faithful, options: { codec: NETSTRING_PATH } },
      { filter: GROUPS },
    );
    expectAllPassed(report);
  });

  test('given as a module specifier, on an external target', async () => {
    const running = await faithful.listen({ codec: netstringCodec, maxFrameBytes: 1024 * 1024 });
    servers.push(running);
    const report = await runSuite(
      {
        kind: 'external',
        ...(running.address as TcpAddress),
        codec: NETSTRING_URL.href,
        capabilities: faithful.capabilities,
        maxFrameBytes: 1024 * 1024,
      },
      { filter: GROUPS },
    );
    expectAllPassed(report);
  });
});

describe('codec traits decide which cases apply', () => {
  test('a codec where every read is a frame skips the framed cases, with the reason', async () => {
    const report = await runSuite(
      { kind: 'strategy', strategy: faithful, options: { codec: 'raw' } },
      { filter: 'echo.hello,stream.empty-frames,framing.truncated,framing.malformed' },
    );
    expect(statuses(report)).toEqual({
      'echo.hello': 'pass',
      'stream.empty-frames': 'skip',
      'framing.truncated': 'skip',
      'framing.malformed': 'skip',
    });
    expect(report.results[1]!.message).toMatch(/framed codecs; raw declares frameIsChunk/);
  });

  test('framing.malformed runs only for a codec that declares malformedExamples', async () => {
    const lines = await runSuite(
      { kind: 'strategy', strategy: faithful, options: { codec: 'lines' } },
      { filter: 'framing.malformed' },
    );
    expect(lines.results[0]).toMatchObject({ status: 'skip', codecs: [] });
    expect(lines.results[0]!.message).toMatch(/declare malformedExamples; lines declares none/);
    const unpinned = await runSuite(
      { kind: 'strategy', strategy: faithful },
      { filter: 'framing.malformed' },
    );
    expect(unpinned.results[0]!.message).toMatch(/no built-in codec qualifies: pin one/);
  });

  test('a codec whose own decoder accepts one of its malformedExamples fails framing.malformed, saying so', async () => {
    const lenient: Codec = {
      ...netstringCodec,
      name: 'lenient-netstring',
      malformedExamples: [...(netstringCodec.malformedExamples ?? []), Buffer.from('5:he')],
    };
    const report = await runSuite(
      { kind: 'strategy', strategy: faithful, options: { codec: lenient } },
      { filter: 'framing.malformed' },
    );
    expect(report.results[0]!.status).toBe('fail');
    expect(report.results[0]!.message).toMatch(
      /codec lenient-netstring: its own decoder gave no frame and no error for malformedExamples\[4\]/,
    );
  });

  test('a codec module that cannot be loaded rejects the run with the loader error', async () => {
    await expect(
      runSuite(
        { kind: 'strategy', strategy: faithful, options: { codec: './no-such-codec.mjs' } },
        { filter: 'echo.hello' },
      ),
    ).rejects.toMatchObject({ code: 'SWITCHYARD_ERR_CODEC_NOT_FOUND' });
  });
});
