export type { CaseContext, ServerUnderTest } from './context.js';
export { type TestHandlerName, testHandlers } from './handlers.js';
export { formatTable, toJson, toJUnitXml } from './reporters.js';
export { caseFilter, describeTarget, listCases, runSuite } from './runner.js';
export type {
  CaseInfo,
  CaseResult,
  CaseStatus,
  ExternalTarget,
  Need,
  RunSuiteOptions,
  StrategyTarget,
  SuiteReport,
  SuiteSummary,
  Target,
  TargetInfo,
  Tier,
} from './types.js';
