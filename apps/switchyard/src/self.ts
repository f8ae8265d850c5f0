import { fileURLToPath } from 'node:url';

/**
 * How to start this CLI as a child process, from the build (`dist/cli.js`) or, when running
 * from TypeScript sources (tests), through tsx with the workspace's source condition.
 */
export function selfCommand(): { command: string; args: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? './cli.ts' : './cli.js', import.meta.url));
  // tsx is resolved from here, not from the child's working directory, so any cwd works.
  const args = fromSource
    ? ['--import', import.meta.resolve('tsx'), '--conditions=@switchyard/source', cli]
    : [cli];
  return { command: process.execPath, args };
}
