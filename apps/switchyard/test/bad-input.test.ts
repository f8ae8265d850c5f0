import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canTransferSockets } from '@switchyard/server-worker-pool';
import { describe, expect, test } from 'vitest';
import { strategyNames } from '../src/registry.js';
import { runCli } from './cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** What the CLI exits with: 2 when the command line is wrong, 1 when something failed running. */
const USAGE = 2;
const FAILURE = 1;

/**
 * Every bad input ends the same way: one line on stderr, `switchyard: <what> [CODE]`, nothing on
 * stdout, and the exit code that says which kind it was.
 */
function expectOneLineError(
  run: { code: number | null; stdout: string; stderr: string },
  text: RegExp,
  exitCode: number,
) {
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^switchyard: .* \[SWITCHYARD_ERR_[A-Z_]+\]\n$/);
  expect(run.stderr).toMatch(text);
  expect(run.code).toBe(exitCode);
}

// Each case is a separate process; they are independent, so let them overlap.
describe.concurrent('bad input gets one clear line and a non-zero exit', () => {
  test('unknown strategy lists the known ones', async ({ onTestFinished }) => {
    const run = await runCli(['serve', '--strategy', 'nope'], onTestFinished);
    const known = strategyNames().join(', ');
    expectOneLineError(run, /unknown strategy "nope" .*\[SWITCHYARD_ERR_UNKNOWN_STRATEGY\]/, USAGE);
    expect(run.stderr).toContain(`(known: ${known})`);
  });

  test('port in use', async ({ onTestFinished }) => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    onTestFinished(() => void holder.close());
    const { port } = holder.address() as { port: number };
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--port', String(port)],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /EADDRINUSE: the port is in use .*\[SWITCHYARD_ERR_LISTEN_FAILED\]/,
      FAILURE,
    );
  });

  test('malformed --target', async ({ onTestFinished }) => {
    const run = await runCli(
      ['conformance', '--target', 'localhost', '--codec', 'raw'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /invalid option --target: expected HOST:PORT .*\[SWITCHYARD_ERR_INVALID_OPTION\]/,
      USAGE,
    );
  });

  test('a handler module that does not exist', async ({ onTestFinished }) => {
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--handler', './no/such/handler.mjs'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /handler module not found.*handler\.mjs.*\[SWITCHYARD_ERR_HANDLER_NOT_FOUND\]/,
      USAGE,
    );
  });

  test('a handler module without a default export', async ({ onTestFinished }) => {
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--handler', fixture('no-default.mjs')],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /no default export that is a function or an object with a handle\(\) method \[SWITCHYARD_ERR_HANDLER_INVALID\]/,
      FAILURE,
    );
  });

  test("a codec module that does not exist, with the loader's reason", async ({
    onTestFinished,
  }) => {
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--codec', './no/such/codec.mjs'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /codec module not found or failed to load: file:\/\/\S+\/no\/such\/codec\.mjs \(Cannot find module .*\).*\[SWITCHYARD_ERR_CODEC_NOT_FOUND\]/,
      USAGE,
    );
  });

  test('a misspelt built-in codec is looked for as a package, and the built-ins are named', async ({
    onTestFinished,
  }) => {
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--codec', 'line'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /codec module not found .*line.*built-in codecs are raw, lines, length-prefixed \[SWITCHYARD_ERR_CODEC_NOT_FOUND\]/,
      USAGE,
    );
  });

  test('a codec module whose default export is not a codec says what is missing', async ({
    onTestFinished,
  }) => {
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--codec', fixture('not-a-codec.mjs')],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /not-a-codec\.mjs .*is not a Codec: createDecoder must be a function \[SWITCHYARD_ERR_CODEC_INVALID\]/,
      FAILURE,
    );
  });

  test('client and conformance load a codec module the same way', async ({ onTestFinished }) => {
    const client = await runCli(
      ['client', '127.0.0.1', '1', '1', '--codec', fixture('not-a-codec.mjs')],
      onTestFinished,
    );
    expectOneLineError(client, /\[SWITCHYARD_ERR_CODEC_INVALID\]/, FAILURE);
    const conformance = await runCli(
      ['conformance', '--target', '127.0.0.1:1', '--codec', './no/such/codec.mjs'],
      onTestFinished,
    );
    expectOneLineError(conformance, /\[SWITCHYARD_ERR_CODEC_NOT_FOUND\]/, USAGE);
  });

  test('a lines message with a newline in it cannot be framed', async ({ onTestFinished }) => {
    const run = await runCli(
      ['client', '127.0.0.1', '1', '1', '--codec', 'lines', '-m', 'two\nlines'],
      onTestFinished,
    );
    expectOneLineError(run, /\[SWITCHYARD_ERR_MALFORMED_FRAME\]/, FAILURE);
  });

  test('an option the strategy does not take', async ({ onTestFinished }) => {
    const run = await runCli(['serve', '--strategy', 'selector', '--workers', '2'], onTestFinished);
    expectOneLineError(run, /--workers: the selector strategy does not take it/, USAGE);
  });

  test('a blocking-only option on another strategy', async ({ onTestFinished }) => {
    const run = await runCli(
      ['serve', '--strategy', 'worker-pool', '--max-waiting', '2'],
      onTestFinished,
    );
    expectOneLineError(run, /--max-waiting: the worker-pool strategy does not take it/, USAGE);
  });

  test('a strategy option out of range, checked as the strategy checks it', async ({
    onTestFinished,
  }) => {
    const run = await runCli(
      ['serve', '--strategy', 'worker-pool', '--workers', '0'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /invalid option --workers: expected a whole number >= 1, got 0 \[SWITCHYARD_ERR_INVALID_OPTION\]/,
      USAGE,
    );
  });

  test('a port out of range', async ({ onTestFinished }) => {
    const run = await runCli(
      ['serve', '--strategy', 'selector', '--port', '70000'],
      onTestFinished,
    );
    expectOneLineError(run, /--port: expected a whole number 0-65535, got "70000"/, USAGE);
  });

  test.skipIf(canTransferSockets())(
    'handoff on a Node without socket transfer',
    async ({ onTestFinished }) => {
      const run = await runCli(
        ['serve', '--strategy', 'worker-pool', '--mode', 'handoff'],
        onTestFinished,
      );
      expectOneLineError(
        run,
        /handoff mode needs a Node that can transfer .*\[SWITCHYARD_ERR_HANDOFF_UNSUPPORTED\]/,
        FAILURE,
      );
    },
  );

  test('an unknown option is a usage error, with the option it resembles', async ({
    onTestFinished,
  }) => {
    const run = await runCli(['serve', '--strategy', 'selector', '--prot', '7000'], onTestFinished);
    expectOneLineError(
      run,
      /^switchyard: unknown option '--prot' \(Did you mean --port\?\) \[SWITCHYARD_ERR_USAGE\]/,
      USAGE,
    );
  });

  test('an unknown command, a missing argument, a missing value: usage errors', async ({
    onTestFinished,
  }) => {
    const command = await runCli(['serv'], onTestFinished);
    expectOneLineError(command, /unknown command 'serv'.* \[SWITCHYARD_ERR_USAGE\]/, USAGE);
    const argument = await runCli(['client', '127.0.0.1', '7000'], onTestFinished);
    expectOneLineError(
      argument,
      /missing required argument 'num_connections' \[SWITCHYARD_ERR_USAGE\]/,
      USAGE,
    );
    const value = await runCli(['serve', '--strategy'], onTestFinished);
    expectOneLineError(value, /'-s, --strategy <name>' argument missing/, USAGE);
  });

  test('no command at all: the help on stderr, a usage exit', async ({ onTestFinished }) => {
    const run = await runCli([], onTestFinished);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: switchyard /);
    expect(run.code).toBe(USAGE);
  });

  test('bench --workload naming nothing: one line, no stack', async ({ onTestFinished }) => {
    const run = await runCli(['bench', '--workload', 'nope', '--no-progress'], onTestFinished);
    expectOneLineError(
      run,
      /workload module not found .*nope.*built-in workloads are echo, burn, bulk, churn \[SWITCHYARD_ERR_WORKLOAD_NOT_FOUND\]/,
      USAGE,
    );
  });

  test('a module that exists but throws while loading is a failure, not a usage error', async ({
    onTestFinished,
  }) => {
    const run = await runCli(
      ['bench', '--workload', fixture('throws-on-load.mjs'), '--no-progress'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /throws-on-load\.mjs \(cannot load: SETTINGS_FILE is not set\).*\[SWITCHYARD_ERR_WORKLOAD_NOT_FOUND\]/,
      FAILURE,
    );
  });

  test('conformance --case matching no case runs nothing and says so', async ({
    onTestFinished,
  }) => {
    const run = await runCli(
      ['conformance', '--strategy', 'selector', '--case', 'nonexistent*'],
      onTestFinished,
    );
    expectOneLineError(
      run,
      /invalid option --case: "nonexistent\*" matches no case .*\[SWITCHYARD_ERR_INVALID_OPTION\]/,
      USAGE,
    );
    const list = await runCli(
      ['conformance', '--list', '--case', 'echo.hello,ecoh'],
      onTestFinished,
    );
    expectOneLineError(list, /--case: "ecoh" matches no case/, USAGE);
  });

  test('start --case matching no case writes no report', async ({ onTestFinished }) => {
    const reportDir = mkdtempSync(join(tmpdir(), 'switchyard-start-'));
    onTestFinished(() => rmSync(reportDir, { recursive: true, force: true }));
    const run = await runCli(
      ['start', '--no-bench', '--report-dir', reportDir, '--case', 'nope'],
      onTestFinished,
    );
    expectOneLineError(run, /--case: "nope" matches no case/, USAGE);
    expect(readdirSync(reportDir)).toEqual([]);
  });

  test('switchyard --help lists every command', async ({ onTestFinished }) => {
    const run = await runCli(['--help'], onTestFinished);
    expect(run.code).toBe(0);
    for (const command of ['serve', 'client', 'conformance', 'bench', 'start']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(run.stdout).toMatch(
      /^Exit codes: 0 done; 1 a failure while running[\s\S]*; 2 the command line/m,
    );
  });
});
