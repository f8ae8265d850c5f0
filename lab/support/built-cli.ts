import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The built CLI of a checkout (this one, or another a contender names after `@`). */
export function builtCli(root: string): string {
  const cli = join(resolve(root), 'apps/switchyard/dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm build\` in that checkout`);
  return cli;
}
