import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/vitest.ts',
    'src/handlers/throw-on-marker.ts',
    'src/handlers/gated.ts',
    'src/handlers/parallel-probe.ts',
  ],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  external: ['vitest'],
});
