import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, workspaceWithTestCases } from "../cli-runner.js";
import { engineReady, installMemray } from "./engine-env.js";

const suffix = `${process.pid}`;
const BARE = `memray-test-bare-${suffix}`;
const CREATED = `memray-test-created-${suffix}`;
const STOPME = `memray-test-stopme-${suffix}`;
const FORECAST = "local-forecast-1";
const ready = await engineReady([FORECAST]);

const docker = (...args: string[]) => execa("docker", args);

describe.runIf(ready)("Docker bad input: clear message, documented exit code, nothing produced is lost", () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await workspaceWithTestCases();
    // A Python container with no memray, no app and no ports; one created but never started.
    await docker("run", "-d", "--name", BARE, "--network", "none", "memray-cli/base:bookworm", "sleep", "infinity");
    await docker("create", "--name", CREATED, "--network", "none", "memray-cli/base:bookworm", "sleep", "infinity");
  });

  afterAll(async () => {
    await execa("docker", ["rm", "-f", BARE, CREATED, STOPME], { reject: false });
  });

  it("no engine reachable: exit 3, says how to start one", async () => {
    const run = await runCli(["profile", "--target", FORECAST, "--mode", "snapshot"], cwd, {
      DOCKER_HOST: `unix://${os.tmpdir()}/memray-no-engine-${suffix}.sock`,
    });
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/docker-engine\.sh|dockerd/);
    expect(run.stderr).toMatch(/DOCKER_HOST/);
  });

  it("unknown container: exit 3, lists the running containers", async () => {
    const run = await runCli(["profile", "--target", "no-such-container", "--mode", "snapshot"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/no-such-container/);
    expect(run.stderr).toContain(FORECAST);
  });

  it("stopped container: exit 3", async () => {
    const run = await runCli(["profile", "--target", CREATED, "--mode", "snapshot"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/not running/i);
  });

  it("memray missing in the container: exit 3, suggests memray-cli install --target C", async () => {
    const run = await runCli(["profile", "--target", BARE, "--mode", "script", "--script", "test-cases/example-sequential-requests.py"], cwd);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain(`memray-cli install --target ${BARE}`);
    const summary = JSON.parse(await readFile(path.join(cwd, run.lastLine, "summary.json"), "utf8"));
    expect(summary.error).toMatch(/memray is not importable/);
  });

  it("no app found and no --app: exit 2, suggests --app", async () => {
    const run = await runCli(["profile", "--target", BARE, "--mode", "endpoint"], cwd);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--app/);
  });

  it("a service port that cannot be detected is no error: live-web serves the app in-process on its own port", async () => {
    const run = await runCli(["profile", "--target", BARE, "--mode", "live-web", "--app", "svc.app:app"], cwd);
    expect(run.stderr).not.toMatch(/--port/);
    expect(run.exitCode).toBe(3); // the bare container has no memray: that, not the port, stops it
    expect(run.stderr).toContain(`memray-cli install --target ${BARE}`);
  });

  it("script paths and values with shell metacharacters pass through untouched", async () => {
    const odd = path.join(cwd, "odd $(touch pwned) 'dir'");
    await mkdir(odd);
    const script = path.join(odd, "we;ird `name`.py");
    await writeFile(script, "import sys\nprint('ARGS=' + repr(sys.argv[1:]))\nblob = bytearray(2 * 1024 * 1024)\n");
    const arg = "$(touch /tmp/pwned-arg); echo hi";
    const relative = path.relative(cwd, script);
    const run = await runCli(["profile", "--target", FORECAST, "--script", relative, "--name", "odd", "--", arg], cwd);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain(`ARGS=${JSON.stringify([arg]).replace(/"/g, "'")}`);
    const summary = JSON.parse(await readFile(path.join(cwd, run.lastLine, "summary.json"), "utf8"));
    expect(summary.script).toBe(relative);
    expect(existsSync(path.join(cwd, "pwned"))).toBe(false);
    const inContainer = await execa("docker", ["exec", FORECAST, "ls", "/tmp/pwned-arg", "/srv/app/pwned"], { reject: false });
    expect(inContainer.exitCode).not.toBe(0);
  });

  describe("container stopped mid-run", () => {
    beforeAll(async () => {
      await docker("run", "-d", "--name", STOPME, "--network", "local_default", "memray-cli/forecast:bookworm");
      await installMemray(STOPME, cwd);
    });

    it("summary.json records the error, the artifacts so far are kept, exit 3", async () => {
      const running = runCli(
        ["profile", "--target", STOPME, "--mode", "sequence", "--endpoint", "/leak", "--requests", "60", "--delay", "1", "--name", "stopped"],
        cwd,
      );
      // Stop the container once the harness is well into its requests.
      const deadline = Date.now() + 120_000;
      const runsDir = path.join(cwd, "runs");
      while (Date.now() < deadline) {
        // The capture has begun once the harness's session.bin exists in the container.
        const capturing = await execa(
          "docker",
          ["exec", STOPME, "python3", "-c", "import glob, sys; sys.exit(0 if glob.glob('/tmp/memray-cli-*/run/*/session.bin') else 1)"],
          { reject: false },
        );
        if (capturing.exitCode === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await new Promise((resolve) => setTimeout(resolve, 4000));
      await docker("stop", "-t", "1", STOPME);
      const run = await running;
      expect(run.exitCode).toBe(3);
      const dir = path.join(cwd, run.lastLine);
      expect(dir.startsWith(runsDir)).toBe(true);
      const summary = JSON.parse(await readFile(path.join(dir, "summary.json"), "utf8"));
      expect(summary.error).toMatch(/ended with exit code \d+/);
      expect(summary.error_code).toBe("HARNESS_KILLED");
      // The capture so far was copied out of the stopped container.
      expect(existsSync(path.join(dir, "session.bin"))).toBe(true);
      expect(existsSync(path.join(dir, "harness.log"))).toBe(true);
      expect(existsSync(path.join(dir, "index.html"))).toBe(true);
    }, 240_000);
  });
});
