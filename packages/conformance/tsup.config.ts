import { packageBuild } from '../../tsup.config.base.js';

export default packageBuild({
  entry: [
    'src/index.ts',
    'src/vitest.ts',
    'src/verifier.ts',
    'src/handlers/throw-on-marker.ts',
    'src/handlers/gated.ts',
    'src/handlers/parallel-probe.ts',
  ],
  external: ['vitest'],
});
