import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  announcedPort,
  isShell,
  listeningPort,
  type MarkedBlock,
  markedBlocks,
  shellCommands,
  withFreePorts,
} from './readme-blocks.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The READMEs whose marked blocks run (every README may mark some; these do). */
const READMES = [
  'apps/switchyard/README.md',
  'packages/chaos/README.md',
  'packages/protocol/README.md',
  'packages/server-blocking/README.md',
  'packages/server-processes/README.md',
  'packages/server-selector/README.md',
  'packages/server-worker-pool/README.md',
];

/** Longest a command or program of a block may take; a server, to print its first line. */
const BLOCK_TIMEOUT_MS = 120_000;

/** Registers cleanup for the test that is running (each test's own: they run concurrently). */
type OnFinished = (cleanup: () => void) => void;

/**
 * A directory laid out as a user's project would be: the packages installed (here, linked to
 * their sources), `switchyard` on the PATH, ES modules by default, and the repository's
 * `examples` at hand for the blocks that name them from the repository root.
 */
function scratchProject(onFinished: OnFinished): Project {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));
  onFinished(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules', '@switchyard'), { recursive: true });
  for (const name of [
    'bench',
    'chaos',
    'conformance',
    'protocol',
    'server-blocking',
    'server-core',
    'server-processes',
    'server-selector',
    'server-worker-pool',
  ]) {
    symlinkSync(join(root, 'packages', name), join(dir, 'node_modules', '@switchyard', name));
  }
  symlinkSync(join(root, 'apps', 'switchyard'), join(dir, 'node_modules', '@switchyard', 'cli'));
  symlinkSync(join(root, 'examples'), join(dir, 'examples'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const cli = join(root, 'apps', 'switchyard', 'src', 'cli.ts');
  writeFileSync(
    join(bin, 'switchyard'),
    `#!/bin/sh\nexec "${process.execPath}" --import "${tsx}" --conditions=@switchyard/source "${cli}" "$@"\n`,
  );
  chmodSync(join(bin, 'switchyard'), 0o755);
  return {
    dir,
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` },
    onFinished,
  };
}

interface Project {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly onFinished: OnFinished;
}

interface Running {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts a block's command (`bash -c`; a server's with `exec`, so that Ctrl-C reaches it) or
 * program (through tsx, on the packages' sources).
 */
function start(block: MarkedBlock, text: string, project: Project): Running {
  let args: string[];
  if (isShell(block)) {
    args = ['bash', '-c', block.kind === 'server' ? `exec ${text}` : text];
  } else {
    const file = join(project.dir, `block-${block.line}.${block.language === 'ts' ? 'ts' : 'mjs'}`);
    writeFileSync(file, text);
    args = [process.execPath, '--import', tsx, '--conditions=@switchyard/source', file];
  }
  const child = spawn(args[0]!, args.slice(1), {
    cwd: project.dir,
    env: project.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  project.onFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => output, exited };
}

async function runToEnd(running: Running, what: string): Promise<void> {
  const timer = setTimeout(() => running.child.kill('SIGKILL'), BLOCK_TIMEOUT_MS);
  const code = await running.exited;
  clearTimeout(timer);
  expect(code, `${what}\n${running.output()}`).toBe(0);
}

/** Resolves once the server printed a line on stdout; rejects if it exits first. */
function firstLine(running: Running, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    running.child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(stdout);
    });
    void running.exited.then((code) =>
      reject(new Error(`${what} exited (${code}) before it was ready:\n${running.output()}`)),
    );
  });
}

describe.concurrent.each(READMES)('%s: the examples marked to run work as written', (readme) => {
  test('they run', { timeout: 4 * BLOCK_TIMEOUT_MS }, async ({ onTestFinished }) => {
    const blocks = markedBlocks(readFileSync(join(root, readme), 'utf8'));
    expect(blocks.filter((block) => block.kind !== 'file').length).toBeGreaterThan(0);
    const project = scratchProject(onTestFinished);
    for (const block of blocks.filter((each) => each.kind === 'file')) {
      writeFileSync(join(project.dir, block.name!), block.text);
    }
    const served = new Map<number, number>();
    const servers: { running: Running; what: string }[] = [];
    for (const block of blocks) {
      const what = `${readme}:${block.line}`;
      if (block.kind === 'run' && isShell(block)) {
        for (const command of shellCommands(withFreePorts(block.text, served))) {
          await runToEnd(start(block, command, project), `${what}: ${command}`);
        }
      } else if (block.kind === 'run') {
        await runToEnd(start(block, withFreePorts(block.text, served), project), what);
      } else if (block.kind === 'server') {
        const named = listeningPort(block.text);
        const text = withFreePorts(block.text, served);
        const commands = isShell(block) ? shellCommands(text) : [text];
        expect(commands, `${what}: a server block holds one command`).toHaveLength(1);
        const running = start(block, commands[0]!, project);
        const line = await firstLine(running, what);
        const port = announcedPort(line);
        if (named !== undefined && port !== undefined) served.set(named, port);
        servers.push({ running, what });
      }
    }
    // Ctrl-C, as the README says: each server closes gracefully and exits 0.
    for (const { running, what } of servers) {
      running.child.kill('SIGINT');
      await runToEnd(running, `${what}: after SIGINT`);
    }
  });
});

describe('reading the blocks', () => {
  test('finds marked blocks only, with their kind, language and text', () => {
    const blocks = markedBlocks(
      [
        '```sh',
        'not marked',
        '```',
        '<!-- readme-test: file upper.js -->',
        '```js',
        'export default 1;',
        '```',
        '<!-- readme-test: server -->',
        '```sh',
        'switchyard serve --port 7000',
        '```',
      ].join('\n'),
    );
    expect(blocks).toEqual([
      { line: 5, kind: 'file', name: 'upper.js', language: 'js', text: 'export default 1;\n' },
      { line: 9, kind: 'server', language: 'sh', text: 'switchyard serve --port 7000\n' },
    ]);
  });

  test('a marker without a block after it is an error, not a silently skipped example', () => {
    expect(() => markedBlocks('<!-- readme-test: run -->\ntext\n')).toThrow(/must precede a fence/);
  });

  test('shell commands: comments, continuations and pnpm switchyard', () => {
    expect(
      shellCommands(
        [
          "pnpm switchyard bench --external 'py=python3 echo.py {port} # not a comment' # a comment",
          '# a whole-line comment',
          '',
          'switchyard conformance \\',
          '  --target 127.0.0.1:7000',
        ].join('\n'),
      ),
    ).toEqual([
      "switchyard bench --external 'py=python3 echo.py {port} # not a comment'",
      'switchyard conformance --target 127.0.0.1:7000',
    ]);
  });

  test("ports: a server's own becomes 0, later blocks get the one it printed", () => {
    expect(listeningPort('switchyard serve --port 7000')).toBe(7000);
    expect(listeningPort('listen({ port: 7000 })')).toBe(7000);
    expect(withFreePorts('serve --port 7000', new Map())).toBe('serve --port 0');
    expect(withFreePorts('listen({ port: 7000 })', new Map())).toBe('listen({ port: 0 })');
    const served = new Map([[7000, 41234]]);
    expect(withFreePorts('client 127.0.0.1 7000 3 && x --target 127.0.0.1:7000', served)).toBe(
      'client 127.0.0.1 41234 3 && x --target 127.0.0.1:41234',
    );
    expect(withFreePorts('serve --port 7000', served)).toBe('serve --port 41234');
    expect(announcedPort('listening on 127.0.0.1:41234\n')).toBe(41234);
    expect(announcedPort('listening on [::1]:41234\n')).toBe(41234);
  });
});
