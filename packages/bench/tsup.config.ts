import { packageBuild } from '../../tsup.config.base.js';

export default packageBuild({
  // The load generator and the baseline server run as child processes: entries of their own.
  entry: ['src/index.ts', 'src/load-worker.ts', 'src/baseline-server.ts'],
  dts: { entry: 'src/index.ts' },
});
