import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { contenders } from '../src/registry.js';
import { runCli, startServe } from './cli.js';

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;
// The worked example of a codec written outside the protocol package, against its public API.
const netstring = fileURLToPath(new URL('../../../examples/netstring/codec.mjs', import.meta.url));

describe('a user codec module from the command line', () => {
  for (const contender of contenders()) {
    test(`${contender.name}: serve --codec <module> passes the framing and stream cases`, async () => {
      const served = await startServe([...contender.serveArgs, '--codec', netstring]);
      const run = await runCli([
        'conformance',
        '--target',
        `${served.host}:${served.port}`,
        '--codec',
        netstring,
        ...(contender.strategy.capabilities.connections === 'one-at-a-time'
          ? ['--one-at-a-time']
          : ['--concurrent']),
        '--case',
        'echo.hello,echo.multiconn,stream,framing',
      ]);
      const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
      expect(run.stdout).toContain('framing.malformed');
      expect(Number(passed)).toBeGreaterThan(3);
      expect(failed, run.stdout).toBe('0');
      expect(run.code).toBe(0);
      expect(await served.stop()).toBe(0);
    });
  }

  test('conformance --strategy --codec <module> runs the suite in-process with it', async () => {
    const run = await runCli([
      'conformance',
      '--strategy',
      'selector',
      '--codec',
      netstring,
      '--case',
      'framing.malformed,framing.too-large,stream.fragmented',
    ]);
    const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
    expect(failed, run.stdout).toBe('0');
    expect(Number(passed)).toBe(3);
  });
});
