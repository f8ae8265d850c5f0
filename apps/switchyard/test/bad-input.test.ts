import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { runCli } from './cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Every bad input ends the same way: one line on stderr, nothing on stdout, exit code 1. */
function expectOneLineError(
  run: { code: number | null; stdout: string; stderr: string },
  text: RegExp,
) {
  expect(run.stdout).toBe('');
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(text);
  expect(run.code).toBe(1);
}

// Each case is a separate process; they are independent, so let them overlap.
describe.concurrent('bad input gets one clear line and a non-zero exit', () => {
  test('unknown strategy lists the known ones', async () => {
    const run = await runCli(['serve', '--strategy', 'nope']);
    expectOneLineError(
      run,
      /unknown strategy "nope" \(known: selector[^)]*\) \[SWITCHYARD_ERR_UNKNOWN_STRATEGY\]/,
    );
  });

  test('port in use', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    onTestFinished(() => void holder.close());
    const { port } = holder.address() as { port: number };
    const run = await runCli(['serve', '--strategy', 'selector', '--port', String(port)]);
    expectOneLineError(run, /EADDRINUSE: the port is in use .*\[SWITCHYARD_ERR_LISTEN_FAILED\]/);
  });

  test('malformed --target', async () => {
    const run = await runCli(['conformance', '--target', 'localhost', '--codec', 'raw']);
    expectOneLineError(
      run,
      /invalid option --target: expected HOST:PORT .*\[SWITCHYARD_ERR_INVALID_OPTION\]/,
    );
  });

  test('a handler module that does not exist', async () => {
    const run = await runCli([
      'serve',
      '--strategy',
      'selector',
      '--handler',
      './no/such/handler.mjs',
    ]);
    expectOneLineError(
      run,
      /handler module not found.*handler\.mjs.*\[SWITCHYARD_ERR_HANDLER_NOT_FOUND\]/,
    );
  });

  test('a handler module without a default export', async () => {
    const run = await runCli([
      'serve',
      '--strategy',
      'selector',
      '--handler',
      fixture('no-default.mjs'),
    ]);
    expectOneLineError(
      run,
      /no default export that is a function \[SWITCHYARD_ERR_HANDLER_INVALID\]/,
    );
  });

  test('an option the strategy does not take', async () => {
    const run = await runCli(['serve', '--strategy', 'selector', '--workers', '2']);
    expectOneLineError(run, /--workers: the selector strategy does not take it/);
  });

  test('a port out of range', async () => {
    const run = await runCli(['serve', '--strategy', 'selector', '--port', '70000']);
    expectOneLineError(run, /--port: expected a whole number 0-65535, got "70000"/);
  });
});
