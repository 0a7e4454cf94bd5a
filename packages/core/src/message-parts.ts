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

const FS_ERRORS: Record<string, string> = {
  ELOOP: "a symbolic link loop (ELOOP): a link in the path points back at itself",
  ENAMETOOLONG: "a name too long for the file system (ENAMETOOLONG)",
  ENOENT: "missing (ENOENT)",
  ENOTDIR: "under something that is not a directory (ENOTDIR)",
  EACCES: "not permitted (EACCES)",
  EPERM: "not permitted (EPERM)",
  EROFS: "on a read-only file system (EROFS)",
  ENOSPC: "on a full disk (ENOSPC)",
  EISDIR: "a directory (EISDIR)",
  ENXIO: "a socket or a device without a reader (ENXIO)",
};

/** What a file-system error says about a path, in words with its errno code; "" when it carries no code. */
export function fsErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== "string") return "";
  return FS_ERRORS[code] ?? code;
}
