import { codecProblems } from './codec.js';
import type { CodecReference } from './codec-loader.js';
import { InvalidOptionError } from './errors.js';
import { type HandlerReference, isHandlerDefinition } from './handler.js';

/** The checks `resolveServerOptions` runs on each value, each throwing `SWITCHYARD_ERR_INVALID_OPTION`. */

export function nonNegativeInteger(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(name, `expected a non-negative integer, got ${String(value)}`);
  }
  return value;
}

export function positiveInteger(
  name: string,
  value: number | undefined,
  fallback: () => number,
): number {
  if (value === undefined) return fallback();
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(name, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}

export function nonEmptyString(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError(name, `expected a non-empty string, got ${String(value)}`);
  }
  return value;
}

export function codecReference(value: unknown): CodecReference {
  if (value === undefined) return 'raw';
  if (typeof value === 'string') {
    if (value === '') throw new InvalidOptionError('codec', 'expected a non-empty string');
    return value;
  }
  const problems = codecProblems(value);
  if (problems.length > 0) {
    throw new InvalidOptionError(
      'codec',
      `expected a codec name, a module specifier or a Codec object (${problems.join('; ')})`,
    );
  }
  return value as CodecReference;
}

export function handlerReference(value: unknown): HandlerReference {
  if (value === undefined) return 'echo';
  if (typeof value === 'string') {
    if (value === '') throw new InvalidOptionError('handler', 'expected a non-empty string');
    return value;
  }
  if (!isHandlerDefinition(value)) {
    throw new InvalidOptionError(
      'handler',
      'expected a module specifier, a function, or an object with a handle() method',
    );
  }
  return value;
}
