import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';

/**
 * The packages as a user gets them: built and packed as `changeset publish` packs them (pnpm,
 * with the workspace's `.pnpmfile.cjs`), checked file by file, then the CLI installed from the
 * tarballs in an empty directory and run there.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** Building every package from scratch takes minutes on a loaded 2-core machine. */
const BUILD_TIMEOUT_MS = 600_000;
/** `npm install` of the tarballs, their third-party dependencies from the registry. */
const INSTALL_TIMEOUT_MS = 300_000;
/** Any one command of the installed CLI. */
const COMMAND_TIMEOUT_MS = 180_000;

interface Packed {
  readonly name: string;
  readonly version: string;
  /** Where the package lives in the repository (`packages/protocol`). */
  readonly dir: string;
  readonly tarball: string;
  /** Paths inside the tarball, `package/` stripped. */
  readonly files: readonly string[];
  /** The manifest as packed. */
  readonly manifest: Manifest;
}

/** The fields of a packed package.json these tests read. */
interface Manifest {
  readonly description?: string;
  readonly keywords?: readonly string[];
  readonly homepage?: string;
  readonly bugs?: { readonly url?: string };
  readonly repository: { readonly type: string; readonly url: string; readonly directory: string };
  readonly license?: string;
  readonly type?: string;
  readonly engines?: Record<string, string>;
  readonly exports: Record<string, unknown>;
  readonly bin?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly publishConfig?: Record<string, string>;
}

const packDir = mkdtempSync(join(tmpdir(), 'switchyard-packs-'));
let packed: Packed[] = [];

beforeAll(async () => {
  const turbo = createRequire(import.meta.url).resolve('turbo/bin/turbo');
  await run(process.execPath, [turbo, 'run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const filters = ['--filter', './packages/*', '--filter', './apps/*'];
  const { stdout } = await run(
    'pnpm',
    ['-r', ...filters, 'pack', '--json', '--pack-destination', packDir],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const reports = JSON.parse(stdout) as { name: string; version: string; filename: string }[];
  packed = await Promise.all(
    reports.map(async ({ name, version, filename }) => {
      const list = await run('tar', ['-tzf', filename]);
      const manifest = await run('tar', ['-xzOf', filename, 'package/package.json']);
      const files = list.stdout
        .trim()
        .split('\n')
        .map((path) => path.replace(/^package\//, ''));
      const parsed = JSON.parse(manifest.stdout) as Manifest;
      return {
        name,
        version,
        dir: parsed.repository.directory,
        tarball: filename,
        files,
        manifest: parsed,
      };
    }),
  );
}, BUILD_TIMEOUT_MS);

afterAll(() => rmSync(packDir, { recursive: true, force: true }));

/** Every string an `exports` map or a `bin` points at. */
function targets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(targets);
}

describe('the tarballs', () => {
  test('every published package is packed, under the @switchyard scope', () => {
    expect(packed.map((each) => each.name).sort()).toEqual([
      '@switchyard/bench',
      '@switchyard/chaos',
      '@switchyard/cli',
      '@switchyard/conformance',
      '@switchyard/protocol',
      '@switchyard/server-blocking',
      '@switchyard/server-core',
      '@switchyard/server-processes',
      '@switchyard/server-selector',
      '@switchyard/server-worker-pool',
    ]);
  });

  test('each ships its build (JavaScript and declarations), its README and the LICENSE, nothing else', () => {
    for (const { name, files } of packed) {
      expect(files, name).toContain('package.json');
      expect(files, name).toContain('README.md');
      expect(files, name).toContain('LICENSE');
      expect(files, name).toContain('dist/index.js');
      expect(files, name).toContain('dist/index.d.ts');
      const unexpected = files.filter(
        (path) => !/^(package\.json|README\.md|LICENSE|dist\/[\w./-]+\.(js|d\.ts))$/.test(path),
      );
      expect(unexpected, `${name}: no sources, source maps, tests or scripts`).toEqual([]);
    }
  });

  test('each manifest points only at files it ships, for ESM callers only', () => {
    for (const { name, files, manifest } of packed) {
      expect(JSON.stringify(manifest.exports), name).not.toContain('@switchyard/source');
      for (const target of [...targets(manifest.exports), ...targets(manifest.bin ?? {})]) {
        expect(files, `${name}: ${target}`).toContain(target.replace(/^\.\//, ''));
      }
      expect(manifest.type, name).toBe('module');
      expect(manifest.engines, name).toEqual(rootManifest.engines);
    }
  });

  test('each says where it comes from, under which licence, and is published in public', () => {
    const repositories = new Set<string>();
    for (const { name, dir, manifest } of packed) {
      expect(manifest.license, name).toBe('MIT');
      expect(manifest.repository, name).toMatchObject({ type: 'git', directory: dir });
      repositories.add(manifest.repository.url);
      expect(manifest.homepage, name).toMatch(new RegExp(`/${dir}#readme$`));
      expect(manifest.bugs?.url, name).toMatch(/\/issues$/);
      expect(manifest.keywords, name).toContain('switchyard');
      expect(manifest.description, name).toBeTruthy();
      expect(manifest.publishConfig, name).toEqual({ access: 'public' });
    }
    expect(repositories.size).toBe(1);
  });

  test('workspace dependencies become the versions released with them', () => {
    const versions = new Map(packed.map((each) => [each.name, each.version]));
    for (const { name, manifest } of packed) {
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        expect(range, `${name} -> ${dependency}`).not.toMatch(/^workspace:/);
        if (versions.has(dependency)) expect(range).toBe(`^${versions.get(dependency)}`);
      }
    }
  });

  test('the CLI is @switchyard/cli and its command is switchyard', () => {
    const cli = packed.find((each) => each.name === '@switchyard/cli')!;
    expect(cli.manifest.bin).toEqual({ switchyard: './dist/cli.js' });
  });
});

/** Whether the npm registry answers: the tarballs' third-party dependencies come from it. */
async function registryAnswers(): Promise<boolean> {
  try {
    await run(
      'npm',
      ['view', 'commander@14', 'version', '--fetch-timeout=10000', '--fetch-retries=0'],
      {
        timeout: 30_000,
      },
    );
    return true;
  } catch {
    return false;
  }
}

const OFFLINE =
  "the npm registry does not answer here, and the tarballs' third-party dependencies come from it";

describe('the packed @switchyard/cli, installed in an empty directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-install-'));
  let installed = false;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    if (!(await registryAnswers())) return;
    // The CLI's workspace dependencies are not on the registry yet: they come from their own
    // tarballs, as they would from the registry once published.
    const dependencies = Object.fromEntries(
      packed.map((each) => [each.name, `file:${each.tarball}`]),
    );
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ private: true, dependencies })}\n`,
    );
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--prefer-offline',
        '--loglevel=error',
      ],
      { cwd: dir, timeout: INSTALL_TIMEOUT_MS },
    );
    installed = true;
  }, INSTALL_TIMEOUT_MS + 60_000);

  /**
   * `npx switchyard ...args` there, as a user types it, but never a download: without the
   * installed bin, npx would fetch the unscoped `switchyard`, someone else's package.
   */
  function switchyard(args: readonly string[]) {
    return run('npx', ['--yes=false', 'switchyard', ...args], {
      cwd: dir,
      timeout: COMMAND_TIMEOUT_MS,
    });
  }

  test(
    'npx switchyard --help, and npx @switchyard/cli',
    async ({ skip }) => {
      if (!installed) skip(OFFLINE);
      const help = await switchyard(['--help']);
      expect(help.stdout).toMatch(/^Usage: switchyard /);
      const byPackage = await run('npx', ['--yes=false', '@switchyard/cli', '--version'], {
        cwd: dir,
      });
      expect(byPackage.stdout).toBe(
        `${packed.find((each) => each.name === '@switchyard/cli')!.version}\n`,
      );
    },
    COMMAND_TIMEOUT_MS,
  );

  test(
    'serve, and a client that gets back every byte',
    async ({ skip }) => {
      if (!installed) skip(OFFLINE);
      // The installed bin itself (npx would stand between the signal and serve).
      const bin = join(dir, 'node_modules', '.bin', 'switchyard');
      const serve = spawn(bin, ['serve', '--strategy', 'selector', '--codec', 'lines'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = once(serve, 'close').then(([code]) => code as number | null);
      onTestFinished(() => {
        if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
      });
      let stdout = '';
      let stderr = '';
      serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
      const port = await new Promise<number>((resolve, reject) => {
        serve.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk;
          const match = /^listening on 127\.0\.0\.1:(\d+)\n/.exec(stdout);
          if (match) resolve(Number(match[1]));
        });
        void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      const client = await switchyard([
        'client',
        '127.0.0.1',
        String(port),
        '2',
        '--codec',
        'lines',
      ]);
      expect(client.stdout).toMatch(/^2 of 2 connections got back exactly what they sent$/m);
      serve.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toBe(`listening on 127.0.0.1:${port}\n`);
    },
    COMMAND_TIMEOUT_MS,
  );

  test(
    'conformance: every contender, threads and processes started from the installed build',
    async ({ skip }) => {
      if (!installed) skip(OFFLINE);
      const { stdout } = await switchyard([
        'conformance',
        '--strategy',
        'all',
        '--case',
        'echo.hello',
      ]);
      expect(stdout).toMatch(/^\d+ passed, 0 failed, 0 skipped$/m);
      expect(stdout).toContain('worker-pool:offload');
      expect(stdout).toContain('selector×2:rr');
    },
    COMMAND_TIMEOUT_MS,
  );

  test(
    'a short bench: its load generator and baseline server start from the installed build',
    async ({ skip }) => {
      if (!installed) skip(OFFLINE);
      const { stdout } = await switchyard([
        'bench',
        '--quick',
        '--workload',
        'echo',
        '--sizes',
        '64',
        '--connections',
        '1',
        '--runs',
        '1',
        '--warmup-ms',
        '50',
        '--warmup-max-ms',
        '50',
        '--duration-ms',
        '200',
        '--strategy',
        'selector',
        '--no-progress',
      ]);
      expect(stdout).toMatch(/│ baseline +│ [\d.]+k? /);
      expect(stdout).toMatch(/│ selector +│ [\d.]+k? /);
    },
    COMMAND_TIMEOUT_MS,
  );

  test(
    'every entry point loads with import, and with require from CommonJS (Node >= 20.19)',
    async ({ skip }) => {
      if (!installed) skip(OFFLINE);
      const specifiers = packed.flatMap(({ name, manifest }) =>
        Object.keys(manifest.exports)
          .filter((subpath) => subpath !== './package.json')
          // vitest is an optional peer dependency, not installed here.
          .filter((subpath) => !(name === '@switchyard/conformance' && subpath === './vitest'))
          .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`)),
      );
      expect(specifiers.length).toBeGreaterThan(packed.length);
      const list = JSON.stringify(specifiers);
      writeFileSync(
        join(dir, 'load.cjs'),
        `for (const specifier of ${list}) if (Object.keys(require(specifier)).length === 0) throw new Error(specifier);\n`,
      );
      writeFileSync(
        join(dir, 'load.mjs'),
        `for (const specifier of ${list}) if (Object.keys(await import(specifier)).length === 0) throw new Error(specifier);\n`,
      );
      await run(process.execPath, ['load.mjs'], { cwd: dir });
      await run(process.execPath, ['load.cjs'], { cwd: dir });
    },
    COMMAND_TIMEOUT_MS,
  );
});

describe('pnpm switchyard at the repository root', () => {
  test(
    "stdout is the CLI's alone: no pnpm banner, no turbo summary",
    async () => {
      const cli = JSON.parse(readFileSync(join(root, 'apps/switchyard/package.json'), 'utf8'));
      const version = await run('pnpm', ['switchyard', '--version'], {
        cwd: root,
        timeout: COMMAND_TIMEOUT_MS,
      });
      expect(version.stdout).toBe(`${cli.version}\n`);

      // serve promises one line on stdout, "listening on HOST:PORT", and it must be the first.
      const serve = spawn(
        'pnpm',
        ['switchyard', 'serve', '--strategy', 'selector', '--port', '0'],
        {
          cwd: root,
          detached: true,
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      const closed = once(serve, 'close');
      const stopAll = () => {
        try {
          process.kill(-serve.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
      };
      onTestFinished(stopAll);
      const firstLine = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        serve.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk;
          if (stdout.includes('\n')) resolve(stdout);
        });
        void closed.then(() => reject(new Error(`pnpm switchyard serve ended: ${stdout}`)));
      });
      expect(firstLine).toMatch(/^listening on 127\.0\.0\.1:\d+\n$/);
      stopAll();
      await closed;
    },
    COMMAND_TIMEOUT_MS,
  );
});
