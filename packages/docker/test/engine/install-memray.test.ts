import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildWheelhouse, findServicePython, InstallFailedError, installMemray, type InstallProgress } from "@alpiq/memray-core";
import { createDockerClient } from "../../src/docker-client.js";
import { DockerTarget } from "../../src/docker-target.js";
import { TestContainers } from "./fixture.js";

const image = inject("fixtureImage");

describe.skipIf(!image)("installMemray from a wheelhouse", () => {
  const docker = createDockerClient();
  const containers = new TestContainers(docker, "install");
  let target: DockerTarget;
  let python: string;
  let wheelhouse: string;

  beforeAll(async () => {
    const { name } = await containers.run("main", image!);
    target = await DockerTarget.connect({ docker, container: name });
    python = await findServicePython(target.service());
    const version = (await target.exec([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])).stdout.trim();
    // Cached between runs: downloading memray and its dependencies takes a while.
    wheelhouse = path.join(os.tmpdir(), `memray-cli-test-wheelhouse-py${version}`);
    const cached = existsSync(wheelhouse) && (await readdir(wheelhouse)).some((f) => f.startsWith("memray-"));
    if (!cached) {
      const built = await buildWheelhouse({ pythonVersion: version, dir: wheelhouse });
      expect(built.wheels.some((w) => w.startsWith("memray-"))).toBe(true);
    }
  });

  afterAll(async () => {
    await containers.removeAll();
  });

  it("fails with a typed error when the wheelhouse lacks memray", async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), "memray-cli-empty-wheelhouse-"));
    const error = await installMemray({ target, python, wheelhouse: empty }).catch((e) => e);
    await rm(empty, { recursive: true, force: true });
    expect(error).toBeInstanceOf(InstallFailedError);
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(/No matching distribution|Could not find a version/);
  });

  it("installs memray offline, verifies it, and is idempotent", async () => {
    const events: InstallProgress[] = [];
    const first = await installMemray({ target, python, wheelhouse, onProgress: (e) => events.push(e) });
    expect(first).toMatchObject({ python: "/opt/venv/bin/python", alreadyInstalled: false, method: "wheelhouse", debugSymbols: "not-requested" });
    expect(first.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(events.some((e) => e.type === "output" && /Successfully installed/.test(e.line))).toBe(true);
    const check = await target.exec([first.python, "-c", "import memray; print(memray.__version__)"]);
    expect(check.stdout.trim()).toBe(first.version);
    // the wheelhouse staging dir is cleaned up
    expect((await target.exec(["sh", "-c", "ls -d /tmp/memray-cli-* 2>/dev/null | wc -l"])).stdout.trim()).toBe("0");

    const second = await installMemray({ target, python, wheelhouse });
    expect(second).toMatchObject({ alreadyInstalled: true, method: "already-installed", version: first.version });
  });
});

// Online installs reach the package index from inside a container on the host's network: opt-in
// (MEMRAY_TEST_ONLINE=1) so the suite never depends on the network.
describe.skipIf(!image || process.env.MEMRAY_TEST_ONLINE !== "1")("installMemray online (MEMRAY_TEST_ONLINE=1)", () => {
  const docker = createDockerClient();
  const containers = new TestContainers(docker, "install-online");
  let target: DockerTarget;

  beforeAll(async () => {
    const { name } = await containers.run("main", image!, { HostConfig: { NetworkMode: "host" } });
    target = await DockerTarget.connect({ docker, container: name });
  });

  afterAll(async () => {
    await containers.removeAll();
  });

  it("installs memray with pip and the host's CA bundle, then python3-dbg with apt-get", async () => {
    const events: InstallProgress[] = [];
    const result = await installMemray({ target, python: await findServicePython(target.service()), debugSymbols: true, onProgress: (e) => events.push(e) });
    expect(result).toMatchObject({ method: "online", alreadyInstalled: false, debugSymbols: "installed" });
    expect((await target.exec(["dpkg", "-s", "python3-dbg"])).exitCode).toBe(0);
  });
});
