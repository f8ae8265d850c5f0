#!/usr/bin/env node
// `pnpm switchyard <command> [args]` at the repository root. pnpm runs a dependency's bin as it
// is, printing nothing of its own (a package.json script would get pnpm's "> script" banner on
// stdout); this builds the CLI and the packages it uses (turbo, cached), with turbo's output on
// stderr, then runs the built CLI in this process. So stdout is the CLI's alone: `serve` prints
// exactly one line, `--json -` one document.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const turbo = createRequire(root).resolve('turbo/bin/turbo');
const build = spawnSync(
  process.execPath,
  [turbo, 'run', 'build', '--filter=@switchyard/cli...', '--output-logs=errors-only'],
  { cwd: fileURLToPath(root), stdio: ['ignore', 2, 2] },
);
if (build.status !== 0) {
  process.stderr.write(`switchyard: building the CLI failed (turbo exited ${build.status})\n`);
  process.exit(build.status ?? 1);
}
await import(new URL('apps/switchyard/dist/cli.js', root).href);
