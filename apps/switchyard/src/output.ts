import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `text` where a `--json`-style flag says: `-` is stdout (so the command's tables must go
 * to stderr), anything else a file, its folder made if needed. Returns the path written, or
 * undefined for stdout.
 */
export async function writeOutput(target: string, text: string): Promise<string | undefined> {
  if (target === '-') {
    process.stdout.write(text);
    return undefined;
  }
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, text);
  return target;
}

/** A value as the JSON a `--json` flag writes: indented, with a final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
