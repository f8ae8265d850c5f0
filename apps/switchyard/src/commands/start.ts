import { Command } from 'commander';

/** `switchyard start`: what `pnpm start` runs. */
export function startCommand(): Command {
  return new Command('start')
    .description('conformance matrix and quick bench (not wired yet)')
    .action(() => {
      console.error('switchyard start: not implemented yet');
      process.exitCode = 1;
    });
}
