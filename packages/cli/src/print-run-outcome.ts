import pc from "picocolors";
import { ERROR_CODES, ExitCode, formatKb, visibleText, type ProfileResult } from "@alpiq/memray-core";
import { describeAttachSummary } from "./attach-lines.js";
import type { CliIo } from "./cli-io.js";
import { colorEnabled, errorStream } from "./output-mode.js";
import { printError } from "./print-error.js";

/**
 * The end of a profiling run on stderr: what failed (a host failure as an error; the workload's own
 * failure as "workload failed"), the key numbers, and the warnings not already shown live. Under
 * --quiet only the failure is printed. Text from the run (the workload's exception, warnings, file
 * names) goes through visibleText: an escape sequence in it is shown, never sent to the terminal.
 */
export function printRunOutcome(io: CliIo, result: ProfileResult, alreadyShown: ReadonlySet<string>): void {
  const { summary } = result;
  const c = pc.createColors(colorEnabled(io.env, errorStream(io) as { isTTY?: boolean }));
  if (result.error) printError(io, result.error);
  else if (summary.error) {
    const exit = summary.error_code ? ERROR_CODES[summary.error_code].exitCode : ExitCode.WorkloadFailed;
    const label = exit === ExitCode.WorkloadFailed ? "workload failed:" : exit >= 128 ? "interrupted:" : "error:";
    errorStream(io).write(`${c.red(label)} ${visibleText(summary.error)}\n`);
  }
  const lines: string[] = [];
  const memory = summary.memory;
  if (memory.rss_before !== null) {
    lines.push(`RSS ${formatKb(memory.rss_before)} → ${formatKb(memory.rss_after)} (${formatKb(memory.rss_delta)})`);
  }
  if (summary.attach) lines.push(...describeAttachSummary(summary.attach).map((line) => visibleText(line)));
  const top = summary.top_allocators[0];
  if (top) lines.push(`top allocator ${visibleText(top.file)} ${formatKb(top.size_kb)} in ${top.count} allocations`);
  const endpoint = summary.endpoint;
  if (endpoint && endpoint.chosen_by !== "option") {
    lines.push(`endpoint: ${endpoint.method} ${visibleText(endpoint.path)} (${endpoint.chosen_by}, no --endpoint given)`);
  }
  const source = summary.requests_source;
  if (source) {
    const where = source.kind === "seed" ? "the seed's fixed path" : "$MEMRAY_RUN_REQUESTS_FILE";
    lines.push(`per-request data: ${source.entries} entries read from ${visibleText(source.file)} (${where})`);
  }
  if (summary.requests.length) {
    const leak = summary.leak_indicators;
    lines.push(
      `${summary.requests.length} requests · ${leak.likely_leak ? c.red("likely leak") : c.green("no leak detected")} (monotonic growth: ${leak.monotonic_growth}, +${leak.rss_growth_mb ?? "n/a"} MB)`,
    );
  }
  for (const warning of [...(summary.warnings ?? []), ...result.warnings]) {
    if (!alreadyShown.has(warning)) lines.push(c.yellow(`warning: ${visibleText(warning)}`));
  }
  if (lines.length) io.stderr.write(`${lines.join("\n")}\n`);
}
