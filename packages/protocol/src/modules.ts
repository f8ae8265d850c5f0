import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Turns a module reference a user typed into a specifier any thread can import: a path (made
 * absolute against `baseDir`, as a `file:` URL); a URL or a package name stays as it is. Paths are
 * what start with `.` or are absolute, as in Node's own resolution.
 */
export function resolveModuleSpecifier(spec: string, baseDir: string = process.cwd()): string {
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolve(baseDir, spec)).href;
  return spec;
}

/** True for a specifier with a URL scheme (`file:`, `data:`, `node:`). */
export function hasScheme(specifier: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(specifier);
}
