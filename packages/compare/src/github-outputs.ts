import { randomUUID } from "node:crypto";
import { appendFile } from "node:fs/promises";
import path from "node:path";
import type { CompareReport } from "@alpiq/memray-core";
import { GithubFileError } from "./errors.js";
import { renderMarkdown } from "./render-markdown.js";

/** Appends text to a file (injected; default node:fs appendFile). */
export type AppendFile = (file: string, text: string) => Promise<void>;

export const nodeAppendFile: AppendFile = (file, text) => appendFile(file, text, "utf8");

/** The step outputs memray-compare sets in GitHub Actions, by name. */
export interface GithubOutputs {
  /** "true" or "false". */
  regression: string;
  /** The largest growth in percent of a gated metric ("25.0"), "" when no gated metric has a percentage. */
  max_growth_percent: string;
  /** The baseline run directories (absolute), one a line. */
  baseline: string;
  /** The candidate run directories (absolute), one a line. */
  candidate: string;
}

export function githubOutputs(report: CompareReport): GithubOutputs {
  const pcts = report.metrics.filter((m) => m.gated && m.delta_pct !== null).map((m) => m.delta_pct!);
  const dirs = (runs: CompareReport["baseline_runs"]) => runs.map((r) => path.dirname(r.summary_file)).join("\n");
  return {
    regression: String(report.regression),
    max_growth_percent: pcts.length === 0 ? "" : Math.max(...pcts).toFixed(1),
    baseline: dirs(report.baseline_runs),
    candidate: dirs(report.candidate_runs),
  };
}

/**
 * One output in GITHUB_OUTPUT's syntax: `name=value`, or for a value with a line break GitHub's
 * multi-line form `name<<DELIMITER`, the value, `DELIMITER` (a delimiter that does not occur in it).
 */
export function formatGithubOutput(name: string, value: string, makeDelimiter: () => string = () => `ghadelimiter_${randomUUID()}`): string {
  if (!value.includes("\n") && !value.includes("\r")) return `${name}=${value}\n`;
  let delimiter = makeDelimiter();
  while (value.includes(delimiter)) delimiter = makeDelimiter();
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** A non-empty environment variable, or undefined. */
const fileFrom = (env: Record<string, string | undefined>, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
};

/**
 * GitHub Actions conventions, read from the given environment: with GITHUB_STEP_SUMMARY set, append the
 * markdown report to that file; with GITHUB_OUTPUT set, append the outputs regression,
 * max_growth_percent, baseline and candidate. Elsewhere nothing happens. Throws GithubFileError.
 */
export async function writeGithubFiles(report: CompareReport, env: Record<string, string | undefined>, append: AppendFile = nodeAppendFile): Promise<string[]> {
  const written: string[] = [];
  const summary = fileFrom(env, "GITHUB_STEP_SUMMARY");
  if (summary) {
    await append(summary, `${renderMarkdown(report)}\n`).catch((error: unknown) => {
      throw new GithubFileError("GITHUB_STEP_SUMMARY", summary, error);
    });
    written.push(summary);
  }
  const output = fileFrom(env, "GITHUB_OUTPUT");
  if (output) {
    const text = Object.entries(githubOutputs(report))
      .map(([name, value]) => formatGithubOutput(name, value))
      .join("");
    await append(output, text).catch((error: unknown) => {
      throw new GithubFileError("GITHUB_OUTPUT", output, error);
    });
    written.push(output);
  }
  return written;
}
