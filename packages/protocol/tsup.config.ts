import { packageBuild } from '../../tsup.config.base.js';

export default packageBuild({
  entry: [
    'src/index.ts',
    'src/handlers/echo.ts',
    'src/handlers/burn.ts',
    'src/workloads/echo.ts',
    'src/workloads/burn.ts',
    'src/workloads/bulk.ts',
    'src/workloads/churn.ts',
  ],
});
