export {
  type BenchTls,
  benchContenders,
  type ContenderSelection,
  type ContenderTransport,
  strategyContenders,
} from './bench-contenders.js';
export { type ThrowawayBenchTls, throwawayBenchTls } from './bench-tls.js';
export {
  type ClientOptions,
  type ConnectionResult,
  DEFAULT_MESSAGES,
  runClient,
} from './client.js';
export { formatHostPort, type HostPort, parseHostPort } from './options.js';
export { createProgram } from './program.js';
export {
  type Contender,
  contenderNames,
  contenders,
  getContender,
  getStrategy,
  selectContenders,
  strategies,
  strategyNames,
} from './registry.js';
export { selfCommand } from './self.js';
