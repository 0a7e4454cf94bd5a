/** Pieces of error messages that every package formats the same way. */

/** argv for messages: long arguments (inline scripts) are shortened. */
export function formatArgv(argv: readonly string[]): string {
  return JSON.stringify(argv.map((arg) => (arg.length > 80 ? `${arg.slice(0, 60).replace(/\s+/g, " ")}…` : arg)));
}

/** The first line of a cause's message, or "". */
export function causeLine(cause: unknown): string {
  return cause instanceof Error ? (cause.message.trim().split("\n")[0] ?? "") : "";
}

/** Output quoted under a message, four spaces in; "" for none. */
export function indented(text: string | undefined): string {
  if (!text) return "";
  return `\n${text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}`;
}
