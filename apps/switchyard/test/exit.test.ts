import {
  CodecNotFoundError,
  InvalidOptionError,
  ListenFailedError,
  UnknownStrategyError,
} from '@switchyard/protocol';
import { CommanderError } from 'commander';
import { expect, test } from 'vitest';
import { ExitCode, endingFor } from '../src/exit.js';

test('help and the version end the run as asked for: exit 0, nothing more to say', () => {
  expect(endingFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toEqual({
    exitCode: ExitCode.OK,
  });
  expect(endingFor(new CommanderError(0, 'commander.version', '0.1.0'))).toEqual({ exitCode: 0 });
});

test('help shown because no command was given is a usage exit, without a second message', () => {
  expect(endingFor(new CommanderError(1, 'commander.help', '(outputHelp)'))).toEqual({
    exitCode: ExitCode.USAGE,
  });
});

test("commander's parse errors are one usage line with SWITCHYARD_ERR_USAGE", () => {
  const error = new CommanderError(
    1,
    'commander.unknownOption',
    "error: unknown option '--prot'\n(Did you mean --port?)",
  );
  expect(endingFor(error)).toEqual({
    exitCode: 2,
    line: "switchyard: unknown option '--prot' (Did you mean --port?) [SWITCHYARD_ERR_USAGE]",
  });
});

test('a bad value is a usage error; a failure while running is not', () => {
  expect(endingFor(new InvalidOptionError('--port', 'expected a port')).exitCode).toBe(2);
  expect(endingFor(new UnknownStrategyError('nope', ['selector'])).exitCode).toBe(2);
  expect(endingFor(new ListenFailedError('cannot listen: EADDRINUSE'))).toEqual({
    exitCode: 1,
    line: 'switchyard: cannot listen: EADDRINUSE [SWITCHYARD_ERR_LISTEN_FAILED]',
  });
});

test('a module that names nothing is a usage error; one that threw while loading a failure', () => {
  const missing = Object.assign(new Error('Cannot find module'), { code: 'ERR_MODULE_NOT_FOUND' });
  expect(endingFor(new CodecNotFoundError('./nope.mjs', { cause: missing })).exitCode).toBe(2);
  const threw = new Error('SETTINGS_FILE is not set');
  expect(endingFor(new CodecNotFoundError('./codec.mjs', { cause: threw })).exitCode).toBe(1);
});

test('anything else is a bug: exit 1, and its stack is kept', () => {
  const ending = endingFor(new TypeError('x is undefined'));
  expect(ending.exitCode).toBe(1);
  expect(ending.line).toMatch(/^switchyard: unexpected error: TypeError: x is undefined\n\s+at /);
});
