import { describe, expect, it } from "vitest";
import { InstallFailedError, type ExecOptions, type ExecResult, type Target } from "../src/index.js";
import { installMemray, type InstallProgress } from "../src/install/install-memray.js";

/** A Target whose exec answers from a script: each entry matches argv and may stream chunks. */
interface Step {
  match: (argv: readonly string[]) => boolean;
  stdout?: string[];
  stderr?: string[];
  exitCode: number;
  /** Runs after the step answered (to change what later steps see). */
  after?: () => void;
}

function scriptedTarget(script: Step[]): Target & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    kind: "fake",
    name: "fake",
    place: { kind: "host", name: "fake", execPrefix: [] },
    sharesHostFilesystem: true,
    calls,
    async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
      calls.push([...argv]);
      const step = script.find((s) => s.match(argv));
      if (!step) return { exitCode: 127, stdout: "", stderr: `${argv[0]}: command not found` };
      for (const chunk of step.stdout ?? []) options.onStdout?.(chunk);
      for (const chunk of step.stderr ?? []) options.onStderr?.(chunk);
      step.after?.();
      return { exitCode: step.exitCode, stdout: (step.stdout ?? []).join(""), stderr: (step.stderr ?? []).join("") };
    },
    copyIn: async () => undefined,
    copyOut: async () => undefined,
    scratchDir: async () => "/tmp/scratch",
    oomKills: async () => null,
  };
}

const isProbe = (argv: readonly string[]) => argv[1] === "-c" && argv[2]!.includes("import memray");

describe("installMemray", () => {
  it("reports pip's output line by line, whatever the chunking", async () => {
    let installed = false;
    const target = scriptedTarget([
      { match: (argv) => isProbe(argv) && installed, stdout: ["1.20.0\n"], exitCode: 0 },
      { match: isProbe, stderr: ["ModuleNotFoundError: No module named 'memray'\n"], exitCode: 1 },
      { match: (argv) => argv.includes("--version"), stdout: ["pip 24.0\n"], exitCode: 0 },
      {
        match: (argv) => argv.includes("install"),
        after: () => (installed = true),
        stdout: ["Collecting mem", "ray\n  Downloading memray-1.20.0.whl (3.", "1 MB)\n\nSuccessfully installed memray-1.20.0"],
        stderr: ["WARNING: running", " as root\n"],
        exitCode: 0,
      },
    ]);
    const events: InstallProgress[] = [];
    const result = await installMemray({ target, python: "/opt/venv/bin/python", onProgress: (e) => events.push(e) });
    expect(result).toMatchObject({ python: "/opt/venv/bin/python", version: "1.20.0", method: "online", alreadyInstalled: false });
    const output = events.flatMap((e) => (e.type === "output" ? [`${e.stream}: ${e.line}`] : []));
    expect(output).toEqual([
      "stdout: Collecting memray",
      "stdout:   Downloading memray-1.20.0.whl (3.1 MB)",
      "stderr: WARNING: running as root",
      "stdout: Successfully installed memray-1.20.0", // the unterminated last line, when the command ends
    ]);
  });

  it("leaves an importable memray alone", async () => {
    const target = scriptedTarget([{ match: isProbe, stdout: ["1.19.1\n"], exitCode: 0 }]);
    expect(await installMemray({ target, python: "python3" })).toMatchObject({ alreadyInstalled: true, version: "1.19.1" });
    expect(target.calls).toHaveLength(1);
  });

  it("throws InstallFailedError with pip's stderr tail", async () => {
    const target = scriptedTarget([
      { match: isProbe, exitCode: 1 },
      { match: (argv) => argv.includes("--version"), exitCode: 0 },
      { match: (argv) => argv.includes("install"), stderr: ["ERROR: Could not find a version that satisfies memray\n"], exitCode: 1 },
    ]);
    const error = await installMemray({ target, python: "python3" }).catch((e) => e);
    expect(error).toBeInstanceOf(InstallFailedError);
    expect(error).toMatchObject({ code: "INSTALL_FAILED", exitCode: 3, commandExitCode: 1, target: "fake" });
    expect(error.stderrTail).toContain("Could not find a version");
  });

  it("rejects a wheelhouse that does not exist before touching the target", async () => {
    const target = scriptedTarget([]);
    await expect(installMemray({ target, python: "python3", wheelhouse: "/no/such/wheelhouse" })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      exitCode: 2,
    });
    expect(target.calls).toHaveLength(0);
  });
});
