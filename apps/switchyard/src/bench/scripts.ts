import { fileURLToPath } from 'node:url';

/** The bench's own child-process scripts. */
export type BenchScript = 'load-worker' | 'baseline-server';

/**
 * How to run one of the bench's scripts as a child process: from TypeScript sources through tsx
 * (tests), or from the build. In the build this module is bundled into a file at the root of
 * dist/, and tsup emits the scripts as their own entries under dist/bench/.
 */
export function benchScriptCommand(script: BenchScript): { command: string; args: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(
    fromSource
      ? new URL(`./${script}.ts`, import.meta.url)
      : new URL(`./bench/${script}.js`, import.meta.url),
  );
  const args = fromSource ? ['--import', 'tsx', '--conditions=@switchyard/source', file] : [file];
  return { command: process.execPath, args };
}
