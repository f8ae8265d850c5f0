/**
 * The README blocks meant to run, and what the example test does to them before it runs them.
 * A block is meant to run when the line before its fence says so:
 *
 * - `<!-- readme-test: file NAME -->`: the block is a file the README's other blocks use, written
 *   as NAME in the directory they run in;
 * - `<!-- readme-test: run -->`: shell commands (each must exit 0) or a program (must exit 0);
 * - `<!-- readme-test: server -->`: one command or program that serves until Ctrl-C: it is
 *   started, ready once it prints a line, and stopped with SIGINT after the README's last block
 *   (it must then exit 0). The blocks after it may talk to it.
 */

export type BlockKind = 'file' | 'run' | 'server';

export interface MarkedBlock {
  /** Line of the opening fence, from 1. */
  readonly line: number;
  readonly kind: BlockKind;
  /** The file name, for `file` blocks. */
  readonly name?: string;
  /** The fence's language: `sh`, `ts`, `js`. */
  readonly language: string;
  readonly text: string;
}

const MARKER = /^<!-- readme-test: (?:file (\S+)|(run|server)) -->$/;
const FENCE = /^```(\w*)/;

/** The marked blocks of a README, in order. A marker not followed by a fenced block throws. */
export function markedBlocks(markdown: string): MarkedBlock[] {
  const lines = markdown.split('\n');
  const blocks: MarkedBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const marker = MARKER.exec(lines[index]!.trim());
    if (!marker) continue;
    const fence = FENCE.exec(lines[index + 1] ?? '');
    if (!fence) throw new Error(`line ${index + 1}: a readme-test marker must precede a fence`);
    const end = lines.indexOf('```', index + 2);
    if (end === -1) throw new Error(`line ${index + 2}: the block never closes`);
    blocks.push({
      line: index + 2,
      kind: marker[1] === undefined ? (marker[2] as BlockKind) : 'file',
      ...(marker[1] !== undefined && { name: marker[1] }),
      language: fence[1] ?? '',
      text: `${lines.slice(index + 2, end).join('\n')}\n`,
    });
    index = end;
  }
  return blocks;
}

/** True for a block of shell commands. */
export function isShell(block: MarkedBlock): boolean {
  return ['sh', 'bash', 'shell'].includes(block.language);
}

/**
 * The commands of a shell block as a user pasting it runs them: comments dropped (a `#` outside
 * quotes, at the start or after a space), `\` continuations joined, blank lines skipped, and
 * `pnpm switchyard` (the repository's way) run as `switchyard` (the installed way).
 */
export function shellCommands(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => withoutComment(line).trim())
    .filter((line) => line !== '')
    .map((line) => line.replace(/^pnpm switchyard\b/, 'switchyard'));
}

function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (index === 0 || /\s/.test(line[index - 1]!))) {
      return line.slice(0, index);
    }
  }
  return line;
}

/** `--port N` and `port: N`: the ports a block listens on, as it names them. */
const LISTEN_PORT = /(--port\s+|port:\s*)(\d+)/g;

/** The first port `text` listens on (`--port 7000`, `port: 7000`), if it names one. */
export function listeningPort(text: string): number | undefined {
  for (const match of text.matchAll(LISTEN_PORT)) {
    const port = Number(match[2]);
    if (port !== 0) return port;
  }
  return undefined;
}

/**
 * `text` with each port of `served` (a port a README's server named, mapped to the one it got)
 * replaced wherever it appears, and every other port it listens on replaced by 0, so the system
 * picks a free one: README examples name fixed ports, tests on a shared machine must not.
 */
export function withFreePorts(text: string, served: ReadonlyMap<number, number>): string {
  let result = text.replace(LISTEN_PORT, (whole, prefix: string, port: string) =>
    served.has(Number(port)) ? whole : `${prefix}0`,
  );
  for (const [named, actual] of served) {
    result = result.replace(new RegExp(`\\b${named}\\b`, 'g'), String(actual));
  }
  return result;
}

/** The port in a `listening on HOST:PORT` line (`[::1]:PORT` for IPv6), if `output` has one. */
export function announcedPort(output: string): number | undefined {
  const match = /listening on (?:\[[^\]]+\]|[^\s:]+):(\d+)/.exec(output);
  return match ? Number(match[1]) : undefined;
}
