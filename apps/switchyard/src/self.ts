import { childProcessArgs, siblingModule } from '@switchyard/server-core';

/** How to start this CLI as a child process, from the build or from TypeScript sources. */
export function selfCommand(): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: childProcessArgs(siblingModule(import.meta.url, './cli.ts')),
  };
}
