import { existsSync } from "node:fs";
import { readdir, rename } from "node:fs/promises";
import path from "node:path";
import { ARTIFACTS, SUMMARY_FILE } from "./artifact-table.js";
import { MemrayError } from "./errors.js";
import type { HostSections } from "./host-sections.js";
import { isMode } from "./mode-rules.js";
import type { RunDir } from "./run-dir.js";
import { fallbackSummary, readSummary, writeSummary } from "./summary-io.js";
import type { Summary, TargetInfo } from "./summary-schema.js";

export interface SettleInput {
  runDir: RunDir;
  mode: unknown;
  script: unknown;
  targetInfo: TargetInfo;
  startedAt: Date;
  /** A failure on the host side (options, target, copy): it outranks what the harness said. */
  failure: MemrayError | undefined;
  /** What the harness announced when it wrote no summary, or why it wrote none. */
  harnessFailure: MemrayError | undefined;
  sections: HostSections | undefined;
  hostArtifacts: readonly string[];
}

/**
 * The run's final summary. The harness's own summary.json stands when it wrote a valid one and
 * nothing failed on the host side; otherwise a summary is written here: the harness's (if readable)
 * with the host failure recorded, else a fallback. An unreadable harness summary is kept aside as
 * summary.harness.json, never overwritten.
 */
export async function settleSummary(input: SettleInput): Promise<{ summary: Summary; error: MemrayError | undefined }> {
  const { runDir, sections } = input;
  let { failure } = input;
  const file = path.join(runDir.path, SUMMARY_FILE);
  let harnessSummary: Summary | undefined;
  const warnings: string[] = [];
  if (existsSync(file)) {
    try {
      harnessSummary = await readSummary(file);
    } catch (error) {
      await rename(file, path.join(runDir.path, "summary.harness.json")).catch(() => undefined);
      const reason = error instanceof MemrayError ? error.reason : String(error);
      warnings.push(`the harness wrote an invalid summary.json, kept as summary.harness.json: ${reason}`);
      failure ??= new MemrayError("HARNESS_FAILED", "the harness wrote an invalid summary.json (kept as summary.harness.json)", { cause: error });
    }
  }
  const sectionsMissing = sections?.signals !== undefined && harnessSummary !== undefined && harnessSummary.signals === undefined;
  if (harnessSummary && !failure && !sectionsMissing) return { summary: harnessSummary, error: undefined };
  if (harnessSummary && !failure) {
    // The harness stopped waiting before the signals arrived: add them (the one case a full summary is rewritten).
    // Said only when they hold something collected: a run on this host without WireMock has none to be late.
    const late = { ...harnessSummary, signals: sections!.signals, artifacts: { ...harnessSummary.artifacts, ...sections!.artifacts } };
    late.warnings = [...(late.warnings ?? []), ...sections!.warnings, ...(anyCollected(sections!.signals) ? [LATE_SIGNALS_WARNING] : [])];
    await writeSummary(runDir.path, late);
    return { summary: late, error: undefined };
  }
  const error = failure ?? input.harnessFailure ?? new MemrayError("HARNESS_FAILED", "the harness wrote no summary.json");
  const summary: Summary = harnessSummary
    ? { ...harnessSummary, error: error.reason, error_code: error.code }
    : fallbackSummary({
        runId: runDir.runId,
        mode: typeof input.mode === "string" && isMode(input.mode) ? input.mode : undefined,
        script: typeof input.script === "string" ? input.script : null,
        timestamp: input.startedAt,
        error: error.reason,
        errorCode: error.code,
        target: input.targetInfo,
        artifacts: await presentArtifacts(runDir, input.hostArtifacts),
      });
  if (sections && summary.signals === undefined) {
    if (sections.signals) summary.signals = sections.signals;
    summary.artifacts = { ...summary.artifacts, ...sections.artifacts };
    warnings.push(...sections.warnings);
  }
  summary.warnings = [...(summary.warnings ?? []), ...warnings];
  await writeSummary(runDir.path, summary);
  return { summary, error };
}

export const LATE_SIGNALS_WARNING = "the signals arrived after the harness stopped waiting for them";

/** Whether any collector of the signals ran (ok or failed); all skipped: nothing was collected. */
function anyCollected(signals: HostSections["signals"]): boolean {
  return Object.values(signals ?? {}).some((signal) => typeof signal === "object" && signal !== null && (signal as { status?: unknown }).status !== "skipped");
}

/** Artifacts in the run directory now, plus those the caller is about to add. */
async function presentArtifacts(runDir: RunDir, hostArtifacts: readonly string[]): Promise<Record<string, string>> {
  const present = new Set(await readdir(runDir.path).catch(() => [] as string[]));
  return Object.fromEntries(
    ARTIFACTS.filter((artifact) => present.has(artifact.file) || hostArtifacts.includes(artifact.key)).map((artifact) => [
      artifact.key,
      `${runDir.artifactPrefix}/${artifact.file}`,
    ]),
  );
}
