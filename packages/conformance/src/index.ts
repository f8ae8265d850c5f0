export type { CaseContext, CaseServerOptions, ServerUnderTest } from './context.js';
export { type TestHandlerName, testHandlers } from './handlers.js';
export type { OracleRequest, ServiceOracle } from './oracle.js';
export { formatTable, toJson, toJUnitXml } from './reporters.js';
export { caseFilter, describeTarget, listCases, runSuite } from './runner.js';
export { type ClientTls, type PemPair, throwawayCertificate } from './tls.js';
export type {
  CaseInfo,
  CaseResult,
  CaseStatus,
  CodecTrait,
  ExternalTarget,
  Need,
  RunSuiteOptions,
  StrategyTarget,
  SuiteReport,
  SuiteSummary,
  Target,
  TargetInfo,
  TargetWorkload,
  Tier,
} from './types.js';
