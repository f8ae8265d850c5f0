import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

/**
 * What the next `changeset version` will do, read from `.changeset/` without running it (it
 * rewrites the tree): every changeset names packages that exist, and the first release makes
 * every published package 0.1.0.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

type Bump = 'patch' | 'minor' | 'major';

interface Changeset {
  readonly file: string;
  readonly releases: ReadonlyMap<string, Bump>;
  readonly summary: string;
}

/** A changeset file: front matter of `'name': bump` lines, then the summary. */
function parseChangeset(file: string, text: string): Changeset {
  const match = /^---\n([\s\S]*?)\n?---\n([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`${file}: no front matter`);
  const releases = new Map<string, Bump>();
  for (const line of match[1]!.split('\n').filter((each) => each.trim() !== '')) {
    const release = /^\s*(['"]?)([^'"]+)\1\s*:\s*(patch|minor|major)\s*$/.exec(line);
    if (!release) throw new Error(`${file}: cannot read "${line}"`);
    releases.set(release[2]!, release[3] as Bump);
  }
  return { file, releases, summary: match[2]!.trim() };
}

/** The version `changeset version` gives `version` for the largest bump of its changesets. */
function nextVersion(version: string, bump: Bump): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

const ORDER: readonly Bump[] = ['patch', 'minor', 'major'];

function publishedPackages(): Map<string, string> {
  const packages = new Map<string, string>();
  for (const folder of ['packages', 'apps']) {
    for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const manifest = JSON.parse(
        readFileSync(join(root, folder, entry.name, 'package.json'), 'utf8'),
      ) as { name: string; version: string; private?: boolean };
      if (!manifest.private) packages.set(manifest.name, manifest.version);
    }
  }
  return packages;
}

function changesets(): Changeset[] {
  const dir = join(root, '.changeset');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => parseChangeset(file, readFileSync(join(dir, file), 'utf8')));
}

test('reads a changeset and the version it leads to', () => {
  const changeset = parseChangeset(
    'x.md',
    '---\n\'@switchyard/protocol\': minor\n"@switchyard/cli": patch\n---\n\nWhat changed.\n',
  );
  expect([...changeset.releases]).toEqual([
    ['@switchyard/protocol', 'minor'],
    ['@switchyard/cli', 'patch'],
  ]);
  expect(changeset.summary).toBe('What changed.');
  expect(nextVersion('0.0.0', 'minor')).toBe('0.1.0');
  expect(nextVersion('0.1.0', 'patch')).toBe('0.1.1');
  expect(nextVersion('0.1.3', 'major')).toBe('1.0.0');
});

test('every changeset names published packages only, and says what changed', () => {
  const published = publishedPackages();
  for (const { file, releases, summary } of changesets()) {
    for (const name of releases.keys()) {
      expect(published.has(name), `${file} names ${name}, which is not a published package`).toBe(
        true,
      );
    }
    expect(summary, file).not.toBe('');
  }
});

test('the first release makes every published package 0.1.0', () => {
  const bumps = new Map<string, Bump>();
  for (const { releases } of changesets()) {
    for (const [name, bump] of releases) {
      const before = bumps.get(name);
      if (before === undefined || ORDER.indexOf(bump) > ORDER.indexOf(before))
        bumps.set(name, bump);
    }
  }
  for (const [name, version] of publishedPackages()) {
    if (version !== '0.0.0') continue; // released already: what comes next is not this test's
    const bump = bumps.get(name);
    expect(bump, `${name} has no changeset`).toBeDefined();
    expect(nextVersion(version, bump!), name).toBe('0.1.0');
  }
});
