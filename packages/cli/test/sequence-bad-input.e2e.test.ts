import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, workspaceWithTestCases } from "./cli-runner.js";

/**
 * Bad input of a sequence run, through the built CLI, as flags and as the seed's recipe keys: exit 2 and a
 * message naming the flag or key, before any target is contacted (the container named does not exist:
 * reaching it would be exit 3).
 */
const NOWHERE = "no-such-container-for-bad-input";

const CASES: Array<{ flag: string[]; key: string; message: RegExp }> = [
  { flag: ["--requests", "0"], key: "request_count=0", message: /expects an integer from 1 to \d+, received "0"/ },
  { flag: ["--requests", "2.5"], key: "request_count=2.5", message: /expects an integer from 1 to \d+, received "2\.5"/ },
  { flag: ["--requests", "ten"], key: "request_count=ten", message: /expects an integer from 1 to \d+, received "ten"/ },
  { flag: ["--delay", "-1"], key: "delay_seconds=-1", message: /expects a number of seconds >= 0, received "-1"/ },
  { flag: ["--endpoint", "leak"], key: "endpoint_path=leak", message: /expects a path starting with \/, received "leak"/ },
];

describe("sequence bad input (flags and recipe keys): exit 2, naming what is wrong", () => {
  it.each(CASES)("$flag / -e $key", async ({ flag, key, message }) => {
    const cwd = await workspaceWithTestCases();
    const byFlag = await runCli(["profile", "--target", NOWHERE, "--mode", "sequence", ...flag], cwd);
    expect(byFlag.exitCode, byFlag.stderr).toBe(2);
    expect(byFlag.stderr).toContain(flag[0]!);
    expect(byFlag.stderr).toMatch(message);
    const byKey = await runCli(["run", "debug/memray-sequence", "-e", `container_target=${NOWHERE}`, "-e", key], cwd);
    expect(byKey.exitCode, byKey.stderr).toBe(2);
    expect(byKey.stderr).toContain(`-e ${key.split("=")[0]}`);
    expect(byKey.stderr).toMatch(message);
  });

  it("--baseline / -e baseline= naming a missing run, a directory without summary.json, or an invalid summary: exit 2 before profiling", async () => {
    const cwd = await workspaceWithTestCases();
    await mkdir(path.join(cwd, "runs/empty"), { recursive: true });
    await mkdir(path.join(cwd, "runs/broken"), { recursive: true });
    await writeFile(path.join(cwd, "runs/broken/summary.json"), '{"run_id": 7}');
    const cases: Array<[string, RegExp]> = [
      ["runs/missing", /The baseline run runs\/missing does not exist/],
      ["runs/empty", /The baseline run has no summary\.json/],
      ["runs/broken", /The baseline summary .*runs\/broken\/summary\.json is not a valid memray-cli summary/],
    ];
    for (const [dir, message] of cases) {
      const byFlag = await runCli(["profile", "--target", NOWHERE, "--mode", "sequence", "--endpoint", "/leak", "--baseline", dir], cwd);
      expect(byFlag.exitCode, byFlag.stderr).toBe(2);
      expect(byFlag.stderr).toMatch(message);
      const byKey = await runCli(["run", "debug/memray-sequence", "-e", `container_target=${NOWHERE}`, "-e", `baseline=${dir}`], cwd);
      expect(byKey.exitCode, byKey.stderr).toBe(2);
      expect(byKey.stderr).toMatch(message);
    }
  });
});
