export interface HostCommandResult {
  /** null when the process did not exit normally (not found, killed, cancelled). */
  exitCode: number | null;
  /** stdout and stderr interleaved, whole. */
  output: string;
  /** Why the process did not run or finish, when it did not. */
  error?: Error | undefined;
}

/**
 * Runs a command on the host, handing its interleaved stdout+stderr to `onOutput` as it arrives (raw
 * chunks: a line or a character may be cut across two). The seam tests replace with a fake.
 */
export type HostCommandRunner = (
  argv: readonly string[],
  options: { onOutput: (chunk: Buffer | string) => void; signal?: AbortSignal | undefined },
) => Promise<HostCommandResult>;

/** The real runner, over execa (never a shell; stdin closed); loaded when first run (~130 ms of imports). */
export const runHostCommand: HostCommandRunner = async (argv, options) => {
  const { execa } = await import("execa");
  const child = execa(argv[0]!, argv.slice(1), { reject: false, all: true, cancelSignal: options.signal, stdin: "ignore" });
  child.all?.on("data", (chunk: Buffer) => options.onOutput(chunk));
  const result = await child;
  return {
    exitCode: typeof result.exitCode === "number" ? result.exitCode : null,
    output: String(result.all ?? ""),
    error: result instanceof Error && typeof result.exitCode !== "number" ? result : undefined,
  };
};
