export { ExitCode, type ExitCodeValue } from "./exit-codes.js";
export {
  MemrayError,
  InvalidOptionError,
  ScriptNotFoundError,
  OutputDirNotWritableError,
  PythonNotFoundError,
  MemrayNotInstalledError,
  toMemrayError,
  type MemrayErrorOptions,
} from "./errors.js";
export { MODES, LIVE_MODES, isMode, type Mode } from "./modes.js";
export {
  summarySchema,
  memorySchema,
  topAllocatorSchema,
  requestRecordSchema,
  leakIndicatorsSchema,
  profilingSchema,
  artifactsSchema,
  type Summary,
  type RequestRecord,
  type TopAllocator,
  type LeakIndicators,
} from "./summary-schema.js";
export {
  harnessConfigSchema,
  endpointRequestSchema,
  REPORT_NAMES,
  DEFAULT_LIVE_PORT,
  type HarnessConfig,
  type EndpointRequest,
  type ReportName,
} from "./harness-config-schema.js";
export { jsonSchemas } from "./json-schemas.js";
export { readSummary, parseSummary, writeSummary, emptySummary, InvalidSummaryError, SUMMARY_FILE } from "./summary-io.js";
export { createRunDir, formatRunTimestamp, sanitizeRunName, systemClock, type Clock, type RunDir } from "./run-dir.js";
export type { Target, ExecOptions, ExecResult } from "./target.js";
export { LocalTarget, COMMAND_NOT_FOUND } from "./local-target.js";
export { locateHarnessDir } from "./harness-locator.js";
export { createHarnessStderrParser, HARNESS_EVENT_PREFIX, type HarnessEvent } from "./harness-events.js";
export {
  runProfile,
  HARNESS_LOG_FILE,
  type ProfileRequest,
  type ProfileScript,
  type ProfileResult,
  type ProfileDeps,
  type ProgressEvent,
  type SessionHooks,
} from "./profile-session.js";
export {
  compareReportSchema,
  compareMetricIdSchema,
  compareRunRefSchema,
  compareMetricSchema,
  compareLeakSchema,
  compareSiteSchema,
  compareSitesSchema,
  compareRegressionSchema,
  COMPARE_METRIC_IDS,
  type CompareReport,
  type CompareMetricId,
  type CompareMetric,
  type CompareSite,
  type CompareRunRef,
  type CompareRegression,
} from "./compare-report-schema.js";
export { formatBytes, formatKb } from "./format-size.js";
