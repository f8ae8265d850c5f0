import {
  codecNames,
  InvalidOptionError,
  type ProxyProtocolVersion,
  type StrategyOption,
} from '@switchyard/protocol';
import { Option } from 'commander';

/** A host and port as typed on the command line or printed by `serve`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:7000`) so the last colon is the port's. */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses `HOST:PORT` or `[IPV6]:PORT` (the format `serve` prints).
 * Throws `SWITCHYARD_ERR_INVALID_OPTION` naming `option`.
 */
export function parseHostPort(text: string, option = '--target'): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || port < 1 || port > 65535) {
    throw new InvalidOptionError(
      option,
      `expected HOST:PORT (for example 127.0.0.1:7000), got "${text}"`,
    );
  }
  return { host, port };
}

/**
 * Parses what `--target` takes: `HOST:PORT`, `[IPV6]:PORT`, or `unix:/path` (a Unix domain
 * socket), as `serve` prints them. Throws `SWITCHYARD_ERR_INVALID_OPTION` naming `option`.
 */
export function parseTarget(
  text: string,
  option = '--target',
): HostPort | { readonly path: string } {
  if (!text.startsWith('unix:')) return parseHostPort(text, option);
  const path = text.slice('unix:'.length);
  if (path === '') throw new InvalidOptionError(option, `expected unix:/path, got "${text}"`);
  return { path };
}

/** Parses a whole number in `[min, max]`; throws `SWITCHYARD_ERR_INVALID_OPTION` naming `option`. */
export function parseInteger(
  text: string,
  option: string,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}-${max}`;
    throw new InvalidOptionError(option, `expected a whole number ${range}, got "${text}"`);
  }
  return value;
}

/**
 * Parses `--handler-options`: a JSON object handed to the handler as `context.options`. Throws
 * `SWITCHYARD_ERR_INVALID_OPTION` naming `option` for anything else.
 */
export function parseJsonObject(
  text: string,
  option = '--handler-options',
): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError(
      option,
      `expected a JSON object, got "${text}": ${(error as Error).message}`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(
      option,
      `expected a JSON object such as '{"rounds":2000}', got "${text}"`,
    );
  }
  return value as Record<string, unknown>;
}

/** A commander argument parser for whole numbers. */
export function integerOption(option: string, bounds?: { min?: number; max?: number }) {
  return (text: string): number => parseInteger(text, option, bounds);
}

/** The CLI flag of a strategy option: `maxQueuedRequests` is `--max-queued-requests`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/**
 * Turns a flag's text into a strategy option's value and checks it with the option's own
 * `validate`, so the CLI refuses exactly what the strategy would (`SWITCHYARD_ERR_INVALID_OPTION`,
 * naming the flag). Only the step from text to a number is the CLI's.
 */
export function parseStrategyOption(
  option: StrategyOption,
  text: string,
  flag = flagOf(option.key),
): unknown {
  const value =
    option.value.type === 'integer' && /^-?\d+$/.test(text.trim()) ? Number(text) : text;
  return option.validate(value, flag);
}

/** What every `--codec` flag takes, for its help. */
export const codecChoicesHelp = `${codecNames.join(', ')}, or a module (a path such as ./codec.mjs, a file: URL or a package) whose default export is a codec`;

/**
 * The `-c, --codec <codec>` flag: a built-in name or a module specifier, kept as typed (each
 * command resolves or loads it). `description` says what the codec is for in that command.
 */
export function codecOption(description: string, defaultValue?: string): Option {
  const option = new Option('-c, --codec <codec>', `${description}: ${codecChoicesHelp}`).argParser(
    (text: string) => {
      if (text.trim() === '') {
        throw new InvalidOptionError('--codec', `expected ${codecChoicesHelp}, got ""`);
      }
      return text;
    },
  );
  return defaultValue === undefined ? option : option.default(defaultValue);
}

const PROXY_VERSIONS: readonly ProxyProtocolVersion[] = ['v1', 'v2', 'any'];

/**
 * `--proxy-protocol v1|v2|any`: `serve` takes PROXY protocol headers of these versions (it sits
 * behind a balancer that sends them); `conformance` declares that its `--target` does, or runs
 * every strategy with them. `description` says which.
 */
export function proxyProtocolOption(
  description = 'every connection must start with a PROXY protocol header of this version, v1 (text), v2 (binary) or any (either) (behind HAProxy send-proxy / send-proxy-v2, or another balancer that sends one); the handler then sees the client it names, and context.proxiedBy the balancer. A connection without one is closed (SWITCHYARD_ERR_PROXY_HEADER). Only for a port balancers alone can reach (default: off)',
): Option {
  return new Option('--proxy-protocol <v1|v2|any>', description).argParser((text: string) => {
    if (!PROXY_VERSIONS.includes(text as ProxyProtocolVersion)) {
      throw new InvalidOptionError('--proxy-protocol', `expected v1, v2 or any, got "${text}"`);
    }
    return text as ProxyProtocolVersion;
  });
}
