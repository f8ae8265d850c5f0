import { Command } from 'commander';

/** `switchyard conformance` (wired to @switchyard/conformance once it lands). */
export function conformanceCommand(): Command {
  return new Command('conformance')
    .description('run the conformance suite (not wired yet)')
    .action(() => {
      console.error('switchyard conformance: not implemented yet');
      process.exitCode = 1;
    });
}
