import { childProcessArgs, siblingModule } from '@switchyard/server-core';

/** The bench's own child-process scripts. */
export type BenchScript = 'load-worker' | 'baseline-server';

/**
 * How to run one of the bench's scripts as a child process, from the build or from TypeScript
 * sources. In the build this module is bundled into dist/index.js, and tsup emits the scripts as
 * entries of their own beside it.
 */
export function benchScriptCommand(script: BenchScript): { command: string; args: string[] } {
  const module = siblingModule(import.meta.url, `./${script}.ts`, `./${script}.js`);
  return { command: process.execPath, args: childProcessArgs(module) };
}
