import { APP_REF_PATTERN } from "./app-ref.js";
import { ARTIFACTS, ATTACH_PROCESSES_DIR, HARNESS_STATE_FILE, SUMMARY_FILE } from "./artifact-table.js";
import { ERROR_CODES } from "./error-codes.js";
import { HOST_SECTIONS_FILE } from "./host-sections.js";
import { DEFAULT_LIVE_PORT, DEFAULT_REQUESTS_FILE, MODE_RULES, MODES, SNAPSHOT_DEPENDENCIES } from "./mode-rules.js";
import { REPORTS } from "./report-table.js";

/** File name of the generated contract, shipped inside the harness package. */
export const CONTRACT_FILE = "contract.json";

/**
 * What the Python harness needs to know of core's tables, as plain JSON: mode rules, reports,
 * artifact keys, error codes and defaults. Generated into `python/memray_harness/contract.json`
 * (`npm run schemas -w @alpiq/memray-core`); a test fails when the checked-in file is stale.
 */
export function harnessContract(): Record<string, unknown> {
  return {
    $comment: "Generated from packages/core (npm run schemas -w @alpiq/memray-core). Do not edit.",
    version: 1,
    modes: MODES.map((mode) => {
      const rule = MODE_RULES[mode];
      return {
        mode,
        workload: rule.workload,
        app: rule.app,
        script: rule.script,
        forces: rule.forces,
        object_census: rule.objectCensus,
        gc_before_stop: rule.gcBeforeStop,
        live: rule.live,
        reports: rule.reports,
        table_source: rule.tableSource,
        primary_report: rule.primaryReport,
        defaults: { requests: rule.defaults.requests, delay_seconds: rule.defaults.delaySeconds },
      };
    }),
    reports: REPORTS.map((report) => ({
      name: report.name,
      file: report.file,
      artifact_key: report.artifactKey,
      generator: report.generator,
      flamegraph_flags: report.flamegraphFlags,
      extra_files: report.extraFiles.map((extra) => ({ file: extra.file, artifact_key: extra.artifactKey })),
    })),
    artifacts: ARTIFACTS.map((artifact) => ({ key: artifact.key, file: artifact.file, producer: artifact.producer })),
    error_codes: Object.fromEntries(Object.entries(ERROR_CODES).map(([code, rule]) => [code, { exit_code: rule.exitCode, hint: rule.hint }])),
    files: { summary: SUMMARY_FILE, host_sections: HOST_SECTIONS_FILE, harness_state: HARNESS_STATE_FILE, attach_processes: ATTACH_PROCESSES_DIR },
    defaults: { live_port: DEFAULT_LIVE_PORT, requests_file: DEFAULT_REQUESTS_FILE, snapshot_dependencies: [...SNAPSHOT_DEPENDENCIES] },
    /** Python `re` syntax (named groups module, attr, call). */
    patterns: { app_ref: APP_REF_PATTERN.source.replace(/\(\?</g, "(?P<") },
  };
}
