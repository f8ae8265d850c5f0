#!/usr/bin/env node
import { isSwitchyardError } from '@switchyard/protocol';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  // Bad input and known failures are one line; anything else is a bug, so keep its stack.
  if (isSwitchyardError(error)) {
    process.stderr.write(`switchyard: ${error.message} [${error.code}]\n`);
  } else {
    process.stderr.write(
      `switchyard: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
  process.exitCode = 1;
}
