import { fileURLToPath } from 'node:url';

/**
 * How to start this CLI as a child process, from the build (`dist/cli.js`) or, when running
 * from TypeScript sources (tests), through tsx with the workspace's source condition.
 */
export function selfCommand(): { command: string; args: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? './cli.ts' : './cli.js', import.meta.url));
  const args = fromSource ? ['--import', 'tsx', '--conditions=@switchyard/source', cli] : [cli];
  return { command: process.execPath, args };
}
