import { childProcessArgs, siblingModule } from '@switchyard/server-core';

/** The bench's own child-process scripts. */
export type BenchScript = 'load-worker' | 'baseline-server';

/**
 * How to run one of the bench's scripts as a child process, from the build or from TypeScript
 * sources. In the build this module is bundled into a file at the root of dist/, and tsup emits
 * the scripts as their own entries under dist/bench/.
 */
export function benchScriptCommand(script: BenchScript): { command: string; args: string[] } {
  const module = siblingModule(import.meta.url, `./${script}.ts`, `./bench/${script}.js`);
  return { command: process.execPath, args: childProcessArgs(module) };
}
