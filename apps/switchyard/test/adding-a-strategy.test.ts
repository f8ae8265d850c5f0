import {
  defineIntegerOption,
  defineModeOption,
  type ServerOptions,
  type Strategy,
  type StrategyModes,
} from '@switchyard/protocol';
import { selectorStrategy } from '@switchyard/server-selector';
import { describe, expect, test } from 'vitest';
import { type ServeFlags, serveCommand, serveOptions } from '../src/commands/serve.js';
import { contenderTarget } from '../src/matrix.js';
import { flagOf } from '../src/options.js';
import { contenderNames, contenders, selectContenders, strategies } from '../src/registry.js';

/** A strategy no app code knows: one mode this Node runs, one it cannot, and an option. */
const fakeModes: StrategyModes<'quick' | 'exotic'> = {
  choices: [
    { name: 'quick', description: 'the only way this fake runs here' },
    { name: 'exotic', description: 'needs hardware', unsupported: () => 'no such hardware here' },
  ],
  auto: () => 'quick',
};
const fakeBatch = defineIntegerOption({
  key: 'maxBatchFrames',
  description: 'frames handled per batch',
  defaultText: '8',
  min: 1,
  max: 64,
});
const fakeStrategy: Strategy = {
  name: 'fake',
  description: 'a strategy only this test registers',
  capabilities: selectorStrategy.capabilities,
  modes: fakeModes,
  options: [defineModeOption(fakeModes), fakeBatch],
  // Takes its own options off, as a real strategy does: the selector refuses keys it does not know.
  listen: ({
    mode: _mode,
    maxBatchFrames: _batch,
    ...options
  }: ServerOptions & Record<string, unknown> = {}) => selectorStrategy.listen(options),
};
/** The one line a new strategy adds to the registry. */
const registered = [...strategies, fakeStrategy];

/** Parses `serve` arguments as the CLI does, and returns what would be started. */
function parseServe(args: string[]) {
  const command = serveCommand(registered).exitOverride();
  let parsed: ReturnType<typeof serveOptions> | undefined;
  command.action((flags: ServeFlags) => {
    parsed = serveOptions(flags, registered);
  });
  command.parse(args, { from: 'user' });
  return parsed!;
}

describe('a strategy added to the registry list is picked up with no other code', () => {
  test('each mode this Node runs is a contender for the matrix and the bench', () => {
    expect(contenderNames(registered)).toEqual([...contenderNames(), 'fake:quick']);
    const [quick] = selectContenders('fake', registered);
    expect(quick).toMatchObject({
      name: 'fake:quick',
      options: { mode: 'quick' },
      serveArgs: ['--strategy', 'fake', '--mode', 'quick'],
    });
    expect(contenderTarget(quick!)).toMatchObject({
      kind: 'strategy',
      strategy: fakeStrategy,
      options: { mode: 'quick' },
      name: 'fake:quick',
    });
  });

  test('serve takes its option as a flag and checks it with its own validate', () => {
    const { contender, options } = parseServe([
      '--strategy',
      'fake:quick',
      '--max-batch-frames',
      '16',
    ]);
    expect(contender.name).toBe('fake:quick');
    expect(options).toMatchObject({ mode: 'quick', maxBatchFrames: 16 });
    expect(parseServe(['--strategy', 'fake']).contender.name).toBe('fake:quick');

    const reason = (() => {
      try {
        fakeBatch.validate(65, flagOf('maxBatchFrames'));
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(() => parseServe(['--strategy', 'fake', '--max-batch-frames', '65'])).toThrow(reason);
    expect(() => parseServe(['--strategy', 'fake', '--mode', 'slow'])).toThrow(
      /--mode: expected one of auto, quick, exotic, got "slow"/,
    );
  });

  test('what serve builds for it, its listen accepts', async ({ onTestFinished }) => {
    const { options } = parseServe(['--strategy', 'fake', '--max-batch-frames', '16']);
    const server = await fakeStrategy.listen(options);
    onTestFinished(() => server.destroy());
    await server.close();
  });

  test('its flag is refused on other strategies, theirs on it', () => {
    expect(() => parseServe(['--strategy', 'selector', '--max-batch-frames', '4'])).toThrow(
      /--max-batch-frames: the selector strategy does not take it/,
    );
    expect(() => parseServe(['--strategy', 'fake', '--workers', '2'])).toThrow(
      /--workers: the fake strategy does not take it/,
    );
    // A flag two strategies take is checked by the one that runs.
    expect(parseServe(['--strategy', 'worker-pool', '--mode', 'offload']).options).toMatchObject({
      mode: 'offload',
    });
  });

  test('serve --help shows its flag, whose it is, and its modes', () => {
    let help = '';
    serveCommand(registered)
      .configureOutput({ writeOut: (text) => (help += text) })
      .outputHelp();
    const text = help.replace(/\s+/g, ' ');
    expect(text).toContain(
      '--max-batch-frames <n> [fake] frames handled per batch (a whole number 1-64, default: 8)',
    );
    expect(text).toMatch(/--mode <mode> \[worker-pool\] .* \[fake\] how it runs/);
    expect(text).toContain('fake:quick the only way this fake runs here (what auto picks');
    expect(text).toContain('fake:exotic needs hardware (not on this Node: no such hardware here)');
  });
});

test('every registered strategy describes itself consistently', () => {
  for (const strategy of strategies) {
    const keys = (strategy.options ?? []).map((option) => option.key);
    expect(new Set(keys).size, strategy.name).toBe(keys.length);
    const modeOption = strategy.options?.find((option) => option.key === 'mode');
    if (strategy.modes === undefined) {
      expect(modeOption, strategy.name).toBeUndefined();
      continue;
    }
    expect(modeOption?.value).toEqual(defineModeOption(strategy.modes).value);
    expect(contenders().filter((contender) => contender.strategy === strategy)).not.toHaveLength(0);
  }
  // Building the command registers every flag; a clash with a common flag throws here.
  expect(() => serveCommand()).not.toThrow();
  const clash = defineIntegerOption({ key: 'port', description: 'p', defaultText: '0' });
  expect(() => serveCommand([...strategies, { ...fakeStrategy, options: [clash] }])).toThrow(
    /conflicting flag '--port'/,
  );
});
