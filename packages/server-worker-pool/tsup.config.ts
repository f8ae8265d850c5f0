import { packageBuild } from '../../tsup.config.base.js';

export default packageBuild({
  entry: ['src/index.ts', 'src/worker-offload.ts', 'src/worker-handoff.ts'],
});
