import { defineConfig } from 'tsup';

export default defineConfig({
  // The bench's child-process scripts are entries of their own (dist/bench/*.js).
  entry: ['src/index.ts', 'src/cli.ts', 'src/bench/load-worker.ts', 'src/bench/baseline-server.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  banner: { js: '' },
});
