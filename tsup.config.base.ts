import { defineConfig, type Options } from 'tsup';

/** The build every package shares: ESM plus declarations for Node 20; entries and extras vary. */
export function packageBuild(options: Options & { entry: string[] }) {
  return defineConfig({
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...options,
  });
}
