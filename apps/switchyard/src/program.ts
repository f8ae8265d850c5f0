import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { benchCommand } from './commands/bench.js';
import { chaosCommand } from './commands/chaos.js';
import { clientCommand } from './commands/client.js';
import { conformanceCommand } from './commands/conformance.js';
import { serveCommand } from './commands/serve.js';
import { startCommand } from './commands/start.js';
import { endingFor } from './exit.js';

/** The `switchyard` command with every subcommand. */
export function createProgram(): Command {
  return new Command('switchyard')
    .version(packageJson.version)
    .description(
      'Interchangeable TCP server strategies: serve, test, benchmark and attack them side by side',
    )
    .addCommand(serveCommand())
    .addCommand(clientCommand())
    .addCommand(conformanceCommand())
    .addCommand(benchCommand())
    .addCommand(chaosCommand())
    .addCommand(startCommand())
    .addHelpText(
      'after',
      '\nExit codes: 0 done; 1 a failure while running (a case or invariant broke, a server would\n' +
        'not start); 2 the command line is wrong (unknown command, option or value, a missing\n' +
        'argument), nothing was started; 130 / 143 after SIGINT / SIGTERM.\n',
    );
}

/**
 * Runs `switchyard` on `argv` (`process.argv`) as the `switchyard` bin does: whatever ends a
 * command early is one line on stderr, and `process.exitCode` says what kind of ending it was.
 */
export async function runCommandLine(argv: readonly string[]): Promise<void> {
  const program = createProgram();
  // Commander's errors are thrown rather than printed, to be told like every other one.
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ outputError: () => {} });
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const ending = endingFor(error);
    if (ending.line !== undefined) process.stderr.write(`${ending.line}\n`);
    process.exitCode = ending.exitCode;
  }
}
