import { Command } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { benchCommand } from './commands/bench.js';
import { chaosCommand } from './commands/chaos.js';
import { clientCommand } from './commands/client.js';
import { conformanceCommand } from './commands/conformance.js';
import { serveCommand } from './commands/serve.js';
import { startCommand } from './commands/start.js';

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
    .addCommand(startCommand());
}
