import { describe, expect, test } from 'vitest';
import {
  defineChoiceOption,
  defineIntegerOption,
  defineModeOption,
  describeOptionValue,
  InvalidOptionError,
  type StrategyModes,
  supportedModes,
} from '../src/index.js';
import { thrownBy } from './support/streams.js';

describe('defineIntegerOption', () => {
  const workers = defineIntegerOption({
    key: 'workers',
    description: 'worker threads',
    defaultText: 'one per core',
    min: 1,
    max: 64,
  });

  test('describes its key, help, kind and default', () => {
    expect(workers).toMatchObject({
      key: 'workers',
      description: 'worker threads',
      defaultText: 'one per core',
      value: { type: 'integer', min: 1, max: 64 },
    });
    expect(describeOptionValue(workers.value)).toBe('a whole number 1-64');
  });

  test('returns a whole number within its bounds', () => {
    for (const value of [1, 2, 64]) expect(workers.validate(value)).toBe(value);
  });

  test.each([0, 65, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, '2', null])(
    'refuses %o with SWITCHYARD_ERR_INVALID_OPTION naming the key',
    (value) => {
      const error = thrownBy(() => workers.validate(value));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: 'SWITCHYARD_ERR_INVALID_OPTION', option: 'workers' });
    },
  );

  test('names whatever the caller passes (a CLI flag), with the same reason', () => {
    const fromCode = thrownBy(() => workers.validate(0)) as Error;
    const fromCli = thrownBy(() => workers.validate(0, '--workers')) as Error;
    expect(fromCode.message).toBe('invalid option workers: expected a whole number 1-64, got 0');
    expect(fromCli.message).toBe('invalid option --workers: expected a whole number 1-64, got 0');
  });

  test('shows a string as typed, quoted', () => {
    expect((thrownBy(() => workers.validate('many')) as Error).message).toMatch(/got "many"$/);
  });

  test('takes Infinity only when it says so, and defaults its lower bound to 0', () => {
    const cap = defineIntegerOption({ key: 'cap', description: 'c', defaultText: 'unlimited' });
    const unlimited = defineIntegerOption({
      key: 'cap',
      description: 'c',
      defaultText: 'unlimited',
      acceptsInfinity: true,
    });
    expect(cap.validate(0)).toBe(0);
    expect(describeOptionValue(cap.value)).toBe('a whole number >= 0');
    expect(() => cap.validate(Number.POSITIVE_INFINITY)).toThrow(InvalidOptionError);
    expect(unlimited.validate(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('defineChoiceOption', () => {
  const level = defineChoiceOption({
    key: 'level',
    description: 'how loud',
    defaultText: 'low',
    choices: ['low', 'high'],
  });

  test('takes exactly its choices', () => {
    expect(level.validate('high')).toBe('high');
    expect(describeOptionValue(level.value)).toBe('one of low, high');
    for (const value of ['HIGH', '', 1, undefined]) {
      expect(thrownBy(() => level.validate(value))).toMatchObject({
        code: 'SWITCHYARD_ERR_INVALID_OPTION',
        option: 'level',
      });
    }
  });
});

describe('modes', () => {
  let transferable = false;
  const modes: StrategyModes<'near' | 'far'> = {
    choices: [
      { name: 'near', description: 'runs anywhere' },
      {
        name: 'far',
        description: 'needs transfer',
        unsupported: () => (transferable ? undefined : 'this runtime cannot transfer'),
      },
    ],
    auto: () => (transferable ? 'far' : 'near'),
  };

  test('supportedModes asks each mode on every call', () => {
    transferable = false;
    expect(supportedModes(modes).map((mode) => mode.name)).toEqual(['near']);
    transferable = true;
    expect(supportedModes(modes).map((mode) => mode.name)).toEqual(['near', 'far']);
  });

  test('the mode option takes auto or any mode, supported here or not', () => {
    transferable = false;
    const mode = defineModeOption(modes);
    expect(mode).toMatchObject({
      key: 'mode',
      defaultText: 'auto',
      value: { type: 'choice', choices: ['auto', 'near', 'far'] },
    });
    expect(mode.validate('far')).toBe('far');
    expect(thrownBy(() => mode.validate('sideways', '--mode'))).toMatchObject({
      code: 'SWITCHYARD_ERR_INVALID_OPTION',
      message: 'invalid option --mode: expected one of auto, near, far, got "sideways"',
    });
  });
});
