import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDockerClient } from "../../src/docker-client.js";
import { DockerTarget } from "../../src/docker-target.js";
import { ContainerNotFoundError, ContainerNotRunningError, EngineUnavailableError } from "../../src/errors.js";
import { TestContainers } from "./fixture.js";

const image = inject("fixtureImage");
const skipReason = inject("engineSkipReason");
if (!image) console.warn(`[memray-docker] engine tests skipped: ${skipReason}`);

describe.skipIf(!image)("DockerTarget on a real engine", () => {
  const docker = createDockerClient();
  const containers = new TestContainers(docker, "target");
  let main: { name: string; id: string };
  let target: DockerTarget;
  let stopped: { name: string };
  let paused: { name: string; container: { pause(): Promise<unknown>; unpause(): Promise<unknown> } };
  let other: { name: string };
  let hostTmp: string;

  beforeAll(async () => {
    hostTmp = await mkdtemp(path.join(os.tmpdir(), "memray-docker-test-"));
    [main, stopped, paused, other] = await Promise.all([
      containers.run("main", image!, {
        Labels: { "com.docker.compose.service": `svc-${process.pid}`, "com.docker.compose.project": "memray-test" },
      }),
      containers.run("stopped", image!, {}, false),
      containers.run("paused", image!),
      containers.run("other", image!),
    ]);
    await paused.container.pause();
    target = await DockerTarget.connect({ docker, container: main.name });
  });

  afterAll(async () => {
    await paused?.container.unpause().catch(() => undefined);
    await containers.removeAll();
    if (hostTmp) await rm(hostTmp, { recursive: true, force: true });
  });

  describe("connect", () => {
    it("resolves by exact name, id prefix and Compose service", async () => {
      expect(target).toMatchObject({ kind: "docker", name: main.name, sharesHostFilesystem: false });
      expect((await DockerTarget.connect({ docker, container: main.id.slice(0, 12) })).name).toBe(main.name);
      expect((await DockerTarget.connect({ docker, container: `svc-${process.pid}` })).name).toBe(main.name);
      expect((await DockerTarget.connect({ docker, container: `svc-${process.pid}`, project: "memray-test" })).name).toBe(main.name);
      expect((await DockerTarget.connect({ docker, container: `memray-test/svc-${process.pid}` })).name).toBe(main.name);
    });

    it("rejects unknown containers, listing the running ones", async () => {
      const error = await DockerTarget.connect({ docker, container: "memray-test-does-not-exist" }).catch((e) => e);
      expect(error).toBeInstanceOf(ContainerNotFoundError);
      expect(error.exitCode).toBe(3);
      expect(error.message).toContain(main.name);
      expect(error.message).toContain(other.name);
    });

    it("rejects stopped containers, listing the running ones", async () => {
      const error = await DockerTarget.connect({ docker, container: stopped.name }).catch((e) => e);
      expect(error).toBeInstanceOf(ContainerNotRunningError);
      expect(error.exitCode).toBe(3);
      expect(error.message).toMatch(/is created, not running/);
      expect(error.message).toContain(main.name);
    });

    it("says to unpause a paused container (docker start refuses it)", async () => {
      const error = await DockerTarget.connect({ docker, container: paused.name }).catch((e) => e);
      expect(error).toBeInstanceOf(ContainerNotRunningError);
      expect(error.message).toMatch(/is paused, not running/);
      expect(error.hint).toContain(`docker unpause ${paused.name}`);
      expect(error.hint).not.toContain("docker start");
    });

    it("says how to start an engine when none answers", async () => {
      const nowhere = createDockerClient({ DOCKER_HOST: `unix://${hostTmp}/no-engine.sock` });
      const error = await DockerTarget.connect({ docker: nowhere, container: "x" }).catch((e) => e);
      expect(error).toBeInstanceOf(EngineUnavailableError);
      expect(error.exitCode).toBe(3);
      expect(error.message).toContain(`unix://${hostTmp}/no-engine.sock`);
      expect(error.message).toContain("tools/docker-engine.sh");
    });
  });

  describe("exec", () => {
    it("passes argv and env values with shell metacharacters through literally", async () => {
      const nasty = [
        "$(touch /tmp/pwned)",
        "; rm -rf /",
        `"double" 'single' \\back`,
        "`touch /tmp/pwned`",
        "a b  c",
        "*",
        "$HOME",
        "x && touch /tmp/pwned",
        "",
      ];
      const env = { WEIRD: "$(touch /tmp/pwned); `id` 'q' \"d\" && | > /tmp/pwned", EMPTY: "" };
      const result = await target.exec(["printf", "[%s]\\n", ...nasty], { env });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(nasty.map((a) => `[${a}]\n`).join(""));
      const printed = await target.exec(["printenv", "WEIRD"], { env });
      expect(printed.stdout).toBe(`${env.WEIRD}\n`);
      const pwned = await target.exec(["test", "-e", "/tmp/pwned"]);
      expect(pwned.exitCode).toBe(1);
    });

    it("returns exit codes, stdout and stderr separately, and streams them", async () => {
      const chunks: string[] = [];
      const result = await target.exec(["python3", "-c", "import sys; print('out ✓ é'); print('err', file=sys.stderr); sys.exit(7)"], {
        onStdout: (c) => void chunks.push(c),
      });
      expect(result).toEqual({ exitCode: 7, stdout: "out ✓ é\n", stderr: "err\n" });
      expect(chunks.join("")).toBe("out ✓ é\n");
      expect((await target.exec(["false"])).exitCode).toBe(1);
      expect((await target.exec(["true"])).exitCode).toBe(0);
    });

    it("reports a missing program like a shell (127)", async () => {
      const result = await target.exec(["no-such-program-xyz", "--x"]);
      expect(result.exitCode).toBe(127);
      expect(result.stderr).toContain("no-such-program-xyz: command not found");
    });

    it("feeds input on stdin and honours cwd", async () => {
      const input = "line 1\n$(touch /tmp/pwned) ✓\n";
      expect((await target.exec(["cat"], { input })).stdout).toBe(input);
      expect((await target.exec(["pwd"], { cwd: "/srv" })).stdout).toBe("/srv\n");
    });

    it("handles large outputs", async () => {
      const result = await target.exec(["python3", "-c", "import sys; sys.stdout.write('x' * 5_000_000)"]);
      expect(result.stdout.length).toBe(5_000_000);
    });

    it("stops the process on abort", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();
      const result = await target.exec(["sleep", "30"], { signal: controller.signal });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.exitCode).not.toBe(0);
    });
  });

  describe("files", () => {
    it("makes scratch directories", async () => {
      const dir = await target.scratchDir();
      expect(dir).toMatch(/^\/tmp\/memray-cli-/);
      expect((await target.exec(["test", "-d", dir])).exitCode).toBe(0);
    });

    it("copies a directory and a file in (basename kept) and a directory's contents out", async () => {
      const src = path.join(hostTmp, "work load");
      await mkdir(path.join(src, "sub dir"), { recursive: true });
      await writeFile(path.join(src, "a.py"), "print('a')\n");
      await writeFile(path.join(src, "sub dir", "we ird;$(touch pwned).txt"), "ünïcode\n");
      await writeFile(path.join(hostTmp, "config.json"), '{"x": 1}');
      const scratch = await target.scratchDir();
      const dest = `${scratch}/stage/deep`;
      await target.copyIn(src, dest);
      await target.copyIn(path.join(hostTmp, "config.json"), dest);
      const listing = await target.exec(["find", dest, "-type", "f"]);
      expect(listing.stdout.trim().split("\n").sort()).toEqual(
        [`${dest}/config.json`, `${dest}/work load/a.py`, `${dest}/work load/sub dir/we ird;$(touch pwned).txt`].sort(),
      );
      expect((await target.exec(["cat", `${dest}/work load/sub dir/we ird;$(touch pwned).txt`])).stdout).toBe("ünïcode\n");

      const out = path.join(hostTmp, "out", "nested");
      await target.copyOut(`${dest}/`, out);
      expect((await readdir(out)).sort()).toEqual(["config.json", "work load"]);
      expect(await readFile(path.join(out, "work load", "sub dir", "we ird;$(touch pwned).txt"), "utf8")).toBe("ünïcode\n");
    });

    it("fails with typed errors for missing paths", async () => {
      await expect(target.copyIn(path.join(hostTmp, "missing"), "/tmp")).rejects.toMatchObject({ code: "COPY_IN_FAILED", exitCode: 3 });
      await expect(target.copyOut("/no/such/dir", path.join(hostTmp, "o2"))).rejects.toMatchObject({ code: "COPY_OUT_FAILED", exitCode: 3 });
    });
  });
});
