export { compareRuns } from "./compare-runs.js";
export {
  compareOptionsSchema,
  resolveCompareOptions,
  thresholdFor,
  DEFAULT_THRESHOLD_PCT,
  DEFAULT_MIN_BYTES,
  DEFAULT_SITE_LIMIT,
  type CompareOptions,
  type CompareOptionsInput,
} from "./compare-options.js";
export { diffSites, topGrowingSite, type DiffSitesOptions } from "./diff-sites.js";
export { medianSites } from "./median-sites.js";
export { sampleStats, median } from "./sample-stats.js";
export { spreadConfidence, describeConfidence } from "./spread-confidence.js";
export { checkRunGroup } from "./run-group.js";
export { largestGrowth, noRegressionBasis } from "./largest-growth.js";
export {
  loadRun,
  nodeCompareFs,
  TABLE_FILE,
  STATS_FILE,
  type RunData,
  type RunSite,
  type MemrayStats,
  type CompareFs,
  type LoadRunDeps,
} from "./load-run.js";
export { runFileCompareFs, type RunFileFsOptions } from "./run-file-fs.js";
export { METRICS, type MetricDefinition, type MetricKind, type MetricUnit } from "./metrics.js";
export { renderText, type RenderTextOptions } from "./render-text.js";
export { renderMarkdown } from "./render-markdown.js";
export { renderJson } from "./render-json.js";
export { formatBytes, formatPct } from "./format-values.js";
export {
  parseCompareArgs,
  parseThresholds,
  parseByteSize,
  COMPARE_USAGE,
  OUTPUT_FORMATS,
  type OutputFormat,
  type ParsedCompareArgs,
} from "./parse-compare-args.js";
export { runCompareCommand, shouldColor, type CompareCommandIo } from "./run-compare-command.js";
export {
  writeGithubFiles,
  githubOutputs,
  formatGithubOutput,
  nodeAppendFile,
  type GithubOutputs,
  type AppendFile,
} from "./github-outputs.js";
export {
  RunNotFoundError,
  SummaryNotFoundError,
  RunUnreadableError,
  InvalidRunSummaryError,
  InvalidRunDataError,
  InvalidThresholdError,
  MixedRunGroupError,
  GithubFileError,
  type RunRole,
} from "./errors.js";
export { VERSION } from "./version.js";
