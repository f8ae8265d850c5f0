import { defineConfig, type Options } from 'tsup';

/** The build every package shares: ESM plus declarations for Node 20; entries and extras vary. */
export function packageBuild(options: Options & { entry: string[] }) {
  return defineConfig({
    format: ['esm'],
    dts: true,
    clean: true,
    // No source maps: the output is unminified ESM that reads fine in a stack trace, and maps
    // carrying the sources would double what every package ships.
    sourcemap: false,
    target: 'node20',
    ...options,
  });
}
