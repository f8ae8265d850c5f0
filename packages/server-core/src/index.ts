export { Connection, type ConnectionOptions, type Dispatch } from './connection.js';
export { ConnectionContext, connectionFailure } from './connection-options.js';
export type { ConnectionState } from './connection-state.js';
export { HandlerTimes, timeHandlerCalls } from './handler-time.js';
export { FRAME_OVERHEAD_BYTES } from './holdings.js';
export {
  childProcessArgs,
  isSourceModule,
  siblingModule,
  type WorkerThreadStart,
  workerThreadStart,
} from './launch.js';
export {
  BudgetAccount,
  type BudgetMember,
  MemoryBudget,
  pickGreediest,
} from './memory-budget.js';
export {
  HeaderFirst,
  type MakeConnection,
  openConnection,
  type ServedConnection,
} from './open-connection.js';
export { readAtMostOneChunkWhilePaused } from './read-ahead.js';
export { probeReusePort, reusePortUnsupported } from './reuse-port.js';
export {
  BaseServer,
  type BaseServerInit,
  DEFAULT_CLOSE_TIMEOUT_MS,
  type TrackedConnection,
} from './server.js';
export { loadService, type Service } from './service.js';
export { type StatsDelta, StatsRecorder } from './stats.js';
