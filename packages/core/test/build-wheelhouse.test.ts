import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidOptionError, WheelhouseBuildError, type Target } from "../src/index.js";
import { buildWheelhouse } from "../src/install/build-wheelhouse.js";

/** A host whose pip emits `chunks` as they come (on stdout) and writes `wheels` into --dest. */
const fakePip = (chunks: string[], exitCode = 0, wheels: string[] = []): Pick<Target, "exec"> => ({
  async exec(argv, options = {}) {
    const dest = argv[argv.indexOf("--dest") + 1]!;
    for (const wheel of wheels) await writeFile(path.join(dest, wheel), "");
    for (const chunk of chunks) await options.onStdout?.(chunk);
    return { exitCode, stdout: chunks.join(""), stderr: "" };
  },
});

describe("buildWheelhouse", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "memray-wheelhouse-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports a line cut across chunks as one line, blank lines skipped", async () => {
    const lines: string[] = [];
    const result = await buildWheelhouse({
      pythonVersion: "3.11",
      dir,
      onOutput: (line) => lines.push(line),
      host: fakePip(["Collecting mem", "ray==1.20.0\n\nDownloading x", ".whl\n", "Saved mem", "ray ✓\n", "Done"], 0, [
        "memray-1.20.0-cp311.whl",
        "rich-13.whl",
      ]),
    });
    expect(lines).toEqual(["Collecting memray==1.20.0", "Downloading x.whl", "Saved memray ✓", "Done"]);
    expect(result.wheels).toEqual(["memray-1.20.0-cp311.whl", "rich-13.whl"]);
    expect(result.command).toEqual(expect.arrayContaining(["download", "--only-binary=:all:", "--python-version", "3.11", "--dest", dir, "memray"]));
  });

  it("throws WheelhouseBuildError with pip's output tail when pip fails", async () => {
    const error = await buildWheelhouse({ pythonVersion: "3.12", dir, host: fakePip(["ERROR: No matching distribution found for memray\n"], 1) }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(WheelhouseBuildError);
    expect(error).toMatchObject({ code: "WHEELHOUSE_BUILD_FAILED", exitCode: 3, commandExitCode: 1 });
    expect(error.stderrTail).toContain("No matching distribution");
    expect(error.message).toContain("exited 1");
  });

  it("rejects a malformed pythonVersion as an invalid option", async () => {
    await expect(buildWheelhouse({ pythonVersion: "311", dir, host: fakePip([]) })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
