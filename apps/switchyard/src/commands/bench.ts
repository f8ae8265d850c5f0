import { Command } from 'commander';

// Placeholder owned by the benchmark work (issue 8); the CLI wires these two in.

/** `switchyard bench`. */
export function benchCommand(): Command {
  return new Command('bench')
    .description('benchmark strategies side by side (not implemented yet)')
    .action(() => {
      console.error('switchyard bench: not implemented yet');
      process.exitCode = 1;
    });
}

export interface StartBenchResult {
  /** Tables to print, already formatted. */
  readonly text: string;
  /** Report files written (JSON, HTML). */
  readonly files: readonly string[];
}

/** The quick benchmark `switchyard start` runs after the conformance matrix. */
export async function startBench(_reportDir: string): Promise<StartBenchResult | undefined> {
  return undefined;
}
