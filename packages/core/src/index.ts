// The public API of @alpiq/memray-core, by name (README.md describes each group).

// Contract tables: modes, reports, artifacts, error codes
export {
  MODES,
  MODE_RULES,
  LIVE_MODES,
  DEFAULT_LIVE_PORT,
  DEFAULT_ATTACH_SECONDS,
  DEFAULT_REQUESTS_FILE,
  SNAPSHOT_DEPENDENCIES,
  isMode,
  appNeed,
  type Mode,
  type ModeRule,
  type WorkloadKind,
  type Need,
} from "./mode-rules.js";
export { REPORTS, REPORT_NAMES, STANDARD_REPORTS, reportSpec, type ReportName, type ReportSpec } from "./report-table.js";
export {
  ARTIFACTS,
  SUMMARY_FILE,
  HARNESS_LOG_FILE,
  RUN_INDEX_FILE,
  artifactByFile,
  artifactFile,
  artifactKeyOf,
  type ArtifactSpec,
} from "./artifact-table.js";
export { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorCodeRule } from "./error-codes.js";
export { ExitCode, type ExitCodeValue } from "./exit-codes.js";
export { APP_REF_PATTERN, parseAppRef, type AppRef } from "./app-ref.js";

// Errors
export {
  MemrayError,
  InvalidOptionError,
  ScriptNotFoundError,
  OutputDirNotWritableError,
  PythonNotFoundError,
  MemrayNotInstalledError,
  HarnessNotFoundError,
  HarnessKilledError,
  AppNotFoundError,
  PortNotDetectableError,
  InstallFailedError,
  WheelhouseBuildError,
  RunNameTooLongError,
  RunFileError,
  toMemrayError,
  describeCauseChain,
  type MemrayErrorOptions,
  type RunFileProblem,
} from "./errors.js";

// Schemas
export {
  summarySchema,
  memorySchema,
  topAllocatorSchema,
  requestRecordSchema,
  leakIndicatorsSchema,
  growthSiteSchema,
  heapSiteSchema,
  type GrowthSite,
  profilingSchema,
  artifactsSchema,
  targetInfoSchema,
  memrayStatsSchema,
  type Summary,
  type RequestRecord,
  type TopAllocator,
  type LeakIndicators,
  type TargetInfo,
  type MemrayStats,
  type RequestsSource,
  type AppSummary,
  type EndpointSummary,
  signalsSchema,
  attachSummarySchema,
  attachProcessSchema,
  mergedAllocatorSchema,
  type AttachSummary,
  type AttachProcess,
  signalCollectorSchema,
  type Signals,
  type SignalCollector,
} from "./summary-schema.js";
export { hostSectionsSchema, HOST_SECTIONS_FILE, type HostSections } from "./host-sections.js";
export { harnessConfigSchema, endpointRequestSchema, type HarnessConfig, type EndpointRequest } from "./harness-config-schema.js";
export { tableDataSchema, statsDataSchema, objectsDataSchema, type TableData, type StatsData, type ObjectsData } from "./run-data-schemas.js";
export {
  compareReportSchema,
  compareMetricIdSchema,
  COMPARE_METRIC_IDS,
  compareSampleStatsSchema,
  compareConfidenceSchema,
  COMPARE_CONFIDENCES,
  type CompareReport,
  type CompareMetricId,
  type CompareMetric,
  type CompareSite,
  type CompareRunRef,
  type CompareRegression,
  type CompareSampleStats,
  type CompareConfidence,
} from "./compare-report-schema.js";
export { jsonSchemas, generatedFiles } from "./json-schemas.js";
export { harnessContract, CONTRACT_FILE } from "./contract.js";

// Options
export {
  profileOptionsSchema,
  runnableProfileOptionsSchema,
  pythonBoolSchema,
  numberOrDecimal,
  integer,
  isCanonicalPythonBool,
  parseOptions,
  type ProfileOptions,
  type ProfileOptionsInput,
  type ProfileOptionField,
} from "./profile-options.js";

// Run directories and summaries
export { readSummary, parseSummary, writeSummary, fallbackSummary, InvalidSummaryError } from "./summary-io.js";
export { createRunDir, formatRunTimestamp, sanitizeRunName, systemClock, MAX_RUN_NAME_LENGTH, type Clock, type RunDir } from "./run-dir.js";
export { runDirAt } from "./run-dir.js";
export {
  readRunFile,
  openRunFile,
  checkRunFile,
  runFileBound,
  fileKind,
  RUN_FILE_BOUNDS,
  type ReadRunFileOptions,
  type OpenRunFileOptions,
  type OpenedRunFile,
} from "./run-file.js";

// Targets: one model for every runtime, the providers that recognise them, the service they run
export { describePlace, type Target, type TargetPlace, type ExecOptions, type ExecResult, type PortForward, type ForwardPortOptions } from "./target/target.js";
export { TargetBase, ArchiveSourceMissingError, CGROUP_OOM_COUNTERS } from "./target/target-base.js";
export { TargetExecError, TargetCopyError, PortForwardError, type TargetErrorOptions } from "./target/target-errors.js";
export { LocalTarget, COMMAND_NOT_FOUND } from "./target/local-target.js";
export { forwardLoopback, type ForwardedConnection, type LoopbackForwardOptions } from "./target/loopback-forward.js";
export {
  TargetRegistry,
  type TargetProvider,
  type TargetConnection,
  type TargetChoice,
  type TargetSpec,
  type TargetSpecField,
} from "./target/target-registry.js";
export { localTargetProvider } from "./target/local-provider.js";
export { resolveTarget, type ResolvedTarget, type TargetNeeds } from "./target/resolve-target.js";
export {
  findServicePython,
  detectServiceApp,
  detectServicePort,
  requireServicePort,
  PYTHON_CANDIDATES,
  type ServiceProcess,
  type DetectedApp,
  type DetectedServicePort,
  type ServicePortOptions,
} from "./service/service-process.js";
export { parseServiceCommand, envListToRecord, type ServiceCommand } from "./service/service-command.js";
export { chooseServicePort, PORT_PRESETS, type ServicePortSource, type ServicePortInput } from "./service/service-port.js";
export { installMemray, HOST_CA_BUNDLE, type InstallMemrayOptions, type InstallMemrayResult, type InstallProgress } from "./install/install-memray.js";
export { buildWheelhouse, type BuildWheelhouseOptions, type Wheelhouse } from "./install/build-wheelhouse.js";
export { installAgent, AGENT_ENV, type InstallAgentResult } from "./install/install-agent.js";

// The profiling session
export { PENDING_RUN_FILE, bringPendingRunHome, type BringPendingRunHomeOptions } from "./pending-run.js";
export { locateHarnessDir } from "./harness-locator.js";
export {
  runProfile,
  type ProfileRequest,
  type ProfileResult,
  type ProfileDeps,
  type ProgressEvent,
  type SessionHooks,
  type RunSidecar,
} from "./profile-session.js";
export { recoverRun, type RecoverRequest } from "./recover-run.js";
export { InterruptChannel, interruptCode, type InterruptSignal } from "./interrupts.js";
export { HARNESS_EVENT_PREFIX, type HarnessEvent } from "./harness-events.js";

// What a runtime gives the signals sidecar (@alpiq/memray-signals)
export {
  describeSignalError,
  type SignalsSource,
  type SignalsUnit,
  type SignalsPortForward,
  type WireMockDiscovery,
  type UsageReading,
  type UsageSkipped,
  type UnitUsage,
  type UnitLogResult,
} from "./signals-source.js";
export { writeLogFile, mapConcurrently, type LogFileResult } from "./log-file.js";

// Small shared helpers
export { createLineSplitter, type LineSplitter } from "./line-splitter.js";
export { execLines, tailLines, type ExecLinesOptions } from "./target/exec-lines.js";
export { formatArgv, causeLine, indented, fsErrorText } from "./message-parts.js";
export { visibleText, visibleStrings } from "./visible-text.js";
export { checkScriptFile } from "./script-file.js";
export { formatBytes, formatKb } from "./format-size.js";
export { formatIssues } from "./zod-issues.js";
export { listenOnLoopback, type ListenOnLoopbackOptions } from "./target/listen-loopback.js";

// `memray-cli <command> --json` outputs
export {
  CLI_OUTPUT_SCHEMAS,
  profileOutputSchema,
  profileRunOutputSchema,
  recoverOutputSchema,
  runRowSchema,
  unreadableRunSchema,
  runsListOutputSchema,
  runsShowOutputSchema,
  runsOpenOutputSchema,
  installOutputSchema,
  debugBuildOutputSchema,
  viewOutputSchema,
  cliErrorOutputSchema,
  type ProfileOutput,
  type ProfileRunOutput,
  type RecoverOutput,
  type RunRow,
  type RunsListOutput,
  type RunsShowOutput,
  type RunsOpenOutput,
  type InstallOutput,
  type DebugBuildOutput,
  type ViewOutput,
  type CliErrorOutput,
} from "./cli-output-schemas.js";
