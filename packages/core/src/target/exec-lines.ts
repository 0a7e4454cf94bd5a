import { createLineSplitter } from "../line-splitter.js";
import type { ExecResult, Target } from "./target.js";

export interface ExecLinesOptions {
  env?: Record<string, string>;
  /** Each non-empty line of output as it comes (a line cut across chunks is one line). */
  onLine(stream: "stdout" | "stderr", line: string): void;
}

/** Run argv in the target with its output reported line by line, and the whole result kept. */
export async function execLines(target: Pick<Target, "exec">, argv: readonly string[], options: ExecLinesOptions): Promise<ExecResult> {
  const lines = (stream: "stdout" | "stderr") =>
    createLineSplitter((line) => {
      if (line.trim()) options.onLine(stream, line);
    });
  const stdout = lines("stdout");
  const stderr = lines("stderr");
  try {
    return await target.exec(argv, {
      ...(options.env ? { env: options.env } : {}),
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
    });
  } finally {
    stdout.flush();
    stderr.flush();
  }
}

/** The last `lines` lines of a command's output, for error messages. */
export function tailLines(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
