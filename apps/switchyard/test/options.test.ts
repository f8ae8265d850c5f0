import { pathToFileURL } from 'node:url';
import { isSwitchyardError } from '@switchyard/protocol';
import { workerPoolModes } from '@switchyard/server-worker-pool';
import { expect, onTestFinished, test } from 'vitest';
import { clientCommand } from '../src/commands/client.js';
import { conformanceCommand } from '../src/commands/conformance.js';
import { type ServeFlags, serveCommand, serveOptions } from '../src/commands/serve.js';
import { flagOf, formatHostPort, parseHostPort, parseInteger } from '../src/options.js';
import { contenderNames, contenders, getContender, selectContenders } from '../src/registry.js';

const flags = (extra: Partial<ServeFlags>): ServeFlags => ({
  strategy: 'selector',
  codec: 'raw',
  handler: 'echo',
  host: '127.0.0.1',
  port: 0,
  closeTimeoutMs: 10_000,
  ...extra,
});

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isSwitchyardError(error)) return error.code;
    throw error;
  }
  return undefined;
}

test('HOST:PORT round-trips, IPv6 in brackets', () => {
  expect(parseHostPort('127.0.0.1:7000')).toEqual({ host: '127.0.0.1', port: 7000 });
  expect(parseHostPort('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
  expect(formatHostPort({ host: '::1', port: 7000 })).toBe('[::1]:7000');
  for (const bad of ['localhost', ':7000', 'host:', 'host:0', 'host:70000', '::1:7000', 'a:b']) {
    expect(
      codeOf(() => parseHostPort(bad)),
      bad,
    ).toBe('SWITCHYARD_ERR_INVALID_OPTION');
  }
});

test('whole numbers only, within bounds', () => {
  expect(parseInteger('42', '--n')).toBe(42);
  for (const bad of ['-1', '1.5', '', 'x', '1e3']) {
    expect(
      codeOf(() => parseInteger(bad, '--n')),
      bad,
    ).toBe('SWITCHYARD_ERR_INVALID_OPTION');
  }
  expect(codeOf(() => parseInteger('0', '--n', { min: 1 }))).toBe('SWITCHYARD_ERR_INVALID_OPTION');
});

test('a strategy option key becomes a kebab-case flag', () => {
  expect(flagOf('maxQueuedRequests')).toBe('--max-queued-requests');
  expect(flagOf('workers')).toBe('--workers');
});

test('each worker-pool mode this Node runs is its own contender', () => {
  const names = contenderNames();
  expect(names).toContain('selector');
  expect(names).toContain('worker-pool:offload');
  expect(names).not.toContain('worker-pool');
  expect(new Set(names).size).toBe(names.length);
  for (const contender of contenders()) {
    // In several processes, `serve` is told the strategy each of them runs.
    const strategy = (contender.processes?.inner ?? contender).strategy;
    expect(contender.serveArgs.slice(0, 2)).toEqual(['--strategy', strategy.name]);
  }
});

test('--strategy picks contenders by strategy or contender name', () => {
  expect(selectContenders('all').map((c) => c.name)).toEqual(contenderNames());
  const pool = selectContenders('worker-pool').map((c) => c.name);
  expect(pool.every((name) => name.startsWith('worker-pool:'))).toBe(true);
  expect(selectContenders('worker-pool:offload, selector').map((c) => c.name)).toEqual([
    'worker-pool:offload',
    'selector',
  ]);
  expect(codeOf(() => selectContenders('selector,nope'))).toBe('SWITCHYARD_ERR_UNKNOWN_STRATEGY');
  expect(getContender('worker-pool:offload').options).toEqual({ mode: 'offload' });
});

test('serve flags become listen options; misplaced options are refused', () => {
  const { contender, options } = serveOptions(
    flags({ strategy: 'worker-pool:offload', workers: 2, handler: 'burn', burnRounds: 3 }),
  );
  expect(contender.name).toBe('worker-pool:offload');
  expect(options).toMatchObject({
    mode: 'offload',
    workers: 2,
    handler: '@switchyard/protocol/handlers/burn',
    handlerOptions: { rounds: 3 },
    noDelay: true,
  });
  expect(serveOptions(flags({ strategy: 'worker-pool', mode: 'offload' })).contender.name).toBe(
    'worker-pool:offload',
  );
  expect(codeOf(() => serveOptions(flags({ mode: 'offload' })))).toBe(
    'SWITCHYARD_ERR_INVALID_OPTION',
  );
  expect(codeOf(() => serveOptions(flags({ burnRounds: 5 })))).toBe(
    'SWITCHYARD_ERR_INVALID_OPTION',
  );
});

test('the memory budget and the deadlines are serve flags', () => {
  let parsed: ServeFlags | undefined;
  serveCommand()
    .exitOverride()
    .action((given: ServeFlags) => {
      parsed = given;
    })
    .parse(
      [
        '--strategy',
        'selector',
        '--max-server-buffered-bytes',
        '1000000',
        '--frame-timeout-ms',
        '0',
        '--handler-timeout-ms',
        '250',
      ],
      { from: 'user' },
    );
  expect(serveOptions(parsed!).options).toMatchObject({
    maxServerBufferedBytes: 1_000_000,
    frameTimeoutMs: 0,
    handlerTimeoutMs: 250,
  });
  const refused = serveCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  expect(() =>
    refused.parse(['--strategy', 'selector', '--max-server-buffered-bytes', '0'], {
      from: 'user',
    }),
  ).toThrow(/--max-server-buffered-bytes: expected a whole number >= 1, got "0"/);
});

test('every strategy option the library takes is reachable from serve', () => {
  const { options } = serveOptions(
    flags({ strategy: 'worker-pool', mode: 'offload', workers: '2', maxQueuedRequests: '64' }),
  );
  expect(options).toMatchObject({ mode: 'offload', workers: 2, maxQueuedRequests: 64 });
  expect(serveOptions(flags({ strategy: 'blocking', maxWaiting: '0' })).options).toMatchObject({
    maxWaiting: 0,
  });
});

test('serve refuses a bad strategy option as the strategy itself would', () => {
  const cases: [Partial<ServeFlags>, RegExp][] = [
    [
      { strategy: 'worker-pool', workers: '0' },
      /^invalid option --workers: expected a whole number >= 1, got 0$/,
    ],
    [
      { strategy: 'worker-pool', maxQueuedRequests: '1.5' },
      /--max-queued-requests: expected a whole number >= 1, got "1.5"$/,
    ],
    [
      { strategy: 'worker-pool:sideways' },
      /--mode: expected one of auto, offload, handoff, got "sideways"$/,
    ],
    [
      { strategy: 'blocking', maxWaiting: '-1' },
      /--max-waiting: expected a whole number >= 0, got -1$/,
    ],
    [
      { strategy: 'selector', maxQueuedRequests: '8' },
      /--max-queued-requests: the selector strategy does not take it$/,
    ],
  ];
  for (const [extra, message] of cases) {
    expect(() => serveOptions(flags(extra)), JSON.stringify(extra)).toThrow(message);
  }
});

test('serve names the contender by the mode that runs, auto decided', () => {
  const auto = `worker-pool:${workerPoolModes.auto()}`;
  expect(serveOptions(flags({ strategy: 'worker-pool' })).contender.name).toBe(auto);
  expect(serveOptions(flags({ strategy: 'worker-pool', mode: 'auto' })).contender.name).toBe(auto);
  expect(
    serveOptions(flags({ strategy: 'worker-pool:offload', mode: 'handoff' })).contender.name,
  ).toBe('worker-pool:handoff');
});

test('--codec keeps a built-in name and makes a path absolute, as a file: URL', () => {
  expect(serveOptions(flags({ codec: 'lines' })).options.codec).toBe('lines');
  expect(serveOptions(flags({ codec: './codecs/my.mjs' })).options.codec).toBe(
    pathToFileURL(`${process.cwd()}/codecs/my.mjs`).href,
  );
  expect(serveOptions(flags({ codec: 'some-codec-package' })).options.codec).toBe(
    'some-codec-package',
  );
});

test('every --codec flag names the built-in codecs and takes a module', () => {
  for (const command of [serveCommand(), clientCommand(), conformanceCommand()]) {
    let help = '';
    command.configureOutput({ writeOut: (text) => (help += text) }).outputHelp();
    const text = help.replace(/\s+/g, ' ');
    expect(text, command.name()).toContain('-c, --codec <codec> ');
    expect(text, command.name()).toContain(
      'raw, lines, length-prefixed, or a module (a path such as ./codec.mjs, a file: URL or a package) whose default export is a codec',
    );
  }
});

test("serve's options for every contender are ones its strategy's listen accepts", async () => {
  for (const contender of contenders()) {
    const pool = contender.strategy.name === 'worker-pool' ? { workers: '1' } : {};
    const { options } = serveOptions(
      flags({ strategy: contender.name, codec: 'lines', maxConnections: 4, ...pool }),
    );
    // Unknown keys are refused by listen: every key serve builds must be one the strategy takes.
    const server = await contender.strategy.listen(options);
    onTestFinished(() => server.destroy());
    await server.close();
  }
});
