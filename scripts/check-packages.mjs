// Checks every workspace package as it would be published: publint (package.json and files)
// and arethetypeswrong (types resolve for ESM consumers). Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'apps'];
const dirs = roots.flatMap((root) =>
  readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'package.json')))
    .map((entry) => join(root, entry.name)),
);

let failed = 0;
for (const dir of dirs) {
  for (const [tool, args] of [
    ['publint', ['publint', '--strict', dir]],
    ['attw', ['attw', '--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync('pnpm', ['exec', ...args], { stdio: 'pipe' });
      console.log(`ok   ${tool.padEnd(8)} ${dir}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${tool.padEnd(8)} ${dir}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
process.exitCode = failed === 0 ? 0 : 1;
