import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDockerClient } from "../../src/docker-client.js";
import { DockerTarget } from "../../src/docker-target.js";
import { TestContainers } from "./fixture.js";

const image = inject("fixtureImage");
const MB = 1024 * 1024;
const SIZE_MB = 200;

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

describe.skipIf(!image)("copyOut of a large session.bin", () => {
  const docker = createDockerClient();
  const containers = new TestContainers(docker, "bigcopy");
  let target: DockerTarget;
  let hostTmp: string;

  beforeAll(async () => {
    hostTmp = await mkdtemp(path.join(os.tmpdir(), "memray-docker-big-"));
    const { name } = await containers.run("main", image!);
    target = await DockerTarget.connect({ docker, container: name });
  });

  afterAll(async () => {
    await containers.removeAll();
    if (hostTmp) await rm(hostTmp, { recursive: true, force: true });
  });

  it(`streams a ${SIZE_MB} MB file without holding it in memory`, async () => {
    const dir = await target.scratchDir();
    const made = await target.exec(["dd", "if=/dev/urandom", `of=${dir}/session.bin`, "bs=1M", `count=${SIZE_MB}`, "status=none"]);
    expect(made.exitCode).toBe(0);
    await target.exec(["sh", "-c", 'echo small > "$1/summary.json"', "sh", dir]);
    const expected = (await target.exec(["sha256sum", `${dir}/session.bin`])).stdout.split(" ")[0];

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = Date.now();
    try {
      await target.copyOut(dir, hostTmp);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const seconds = (Date.now() - started) / 1000;
    const growthMb = (peak - baseline) / MB;
    console.info(`[memray-docker] copyOut ${SIZE_MB} MB in ${seconds.toFixed(2)} s; RSS grew ${growthMb.toFixed(1)} MB`);

    expect((await stat(path.join(hostTmp, "session.bin"))).size).toBe(SIZE_MB * MB);
    expect(await sha256(path.join(hostTmp, "session.bin"))).toBe(expected);
    expect(growthMb).toBeLessThan(100);
  });
});
