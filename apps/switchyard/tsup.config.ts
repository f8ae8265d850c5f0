import { packageBuild } from '../../tsup.config.base.js';

export default packageBuild({
  // The bench's child-process scripts are entries of their own (dist/bench/*.js).
  entry: ['src/index.ts', 'src/cli.ts', 'src/bench/load-worker.ts', 'src/bench/baseline-server.ts'],
  dts: { entry: 'src/index.ts' },
});
