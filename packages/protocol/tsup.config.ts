import { packageBuild } from '../../tsup.config.base.js';

export default packageBuild({
  entry: ['src/index.ts', 'src/handlers/echo.ts', 'src/handlers/burn.ts'],
});
