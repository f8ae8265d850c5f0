import { defineConfig } from 'vitest/config';

// Tests run against TypeScript sources: every package exports a `@switchyard/source` condition
// that points at src/. Node-environment tests resolve through `ssr.resolve`, not `resolve`.
export default defineConfig({
  ssr: {
    resolve: {
      conditions: ['@switchyard/source', 'module', 'node', 'development|production'],
    },
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'examples/*/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
  },
});
