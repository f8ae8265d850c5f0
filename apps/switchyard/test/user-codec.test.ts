import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { contenders } from '../src/registry.js';
import { runCli, startServe } from './cli.js';

const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m;
// A codec written outside the protocol package, against its public API, as a user's would be.
// (examples/userCodec runs the same cases through the library API.)
const userCodec = fileURLToPath(new URL('./fixtures/hex-lines-codec.mjs', import.meta.url));

describe('a user codec module from the command line', () => {
  for (const contender of contenders()) {
    test(`${contender.name}: serve --codec <module> passes the framing and stream cases`, async () => {
      // A small limit: the fixture codec is written for clarity, not for 16 MiB frames.
      const served = await startServe([
        ...contender.serveArgs,
        '--codec',
        userCodec,
        '--max-frame-bytes',
        '4096',
      ]);
      const run = await runCli([
        'conformance',
        '--target',
        `${served.host}:${served.port}`,
        '--codec',
        userCodec,
        '--max-frame-bytes',
        '4096',
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
      userCodec,
      '--case',
      'framing.malformed,framing.too-large,stream.fragmented',
    ]);
    const [, passed, failed] = SUMMARY.exec(run.stdout) ?? [];
    expect(failed, run.stdout).toBe('0');
    expect(Number(passed)).toBe(3);
  });
});
