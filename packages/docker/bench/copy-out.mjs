#!/usr/bin/env node
// Benchmark: DockerTarget.copyOut vs `docker cp` for a >= 1 GiB session.bin. Run after `npx tsup`:
//   node bench/copy-out.mjs [--size-mib 1024] [--image IMAGE] [--runs 5]
// Prints one JSON object: throughput of each, the ratio of the medians (target >= 0.8; runs alternate
// and start after `sync`, the machine's load makes single runs noisy) and this process's peak RSS
// (process.resourceUsage().maxRSS, target < 200 MB).
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { createDockerClient, DockerTarget } from "../dist/index.js";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "1024" },
    image: { type: "string" },
    runs: { type: "string", default: "5" },
  },
});
const sizeMib = Number(values["size-mib"]);
const runs = Math.max(1, Number(values.runs));
const MiB = 1024 * 1024;

const docker = createDockerClient();
const images = new Set((await docker.listImages()).flatMap((i) => i.RepoTags ?? []));
const image = values.image ?? ["memray-test/fixture:v4", "memray-cli/base:bookworm", "memray-cli/base:trixie"].find((t) => images.has(t));
if (!image) {
  console.error("no image to run: pass --image IMAGE (any image with dd and mktemp)");
  process.exit(3);
}

const name = `memray-test-bench-${process.pid}`;
const container = await docker.createContainer({ name, Image: image, Cmd: ["sleep", "infinity"], HostConfig: { NetworkMode: "none" } });
const hostTmp = await mkdtemp(path.join(os.tmpdir(), "memray-bench-"));
try {
  await container.start();
  const target = await DockerTarget.connect({ docker, container: name });
  const made = await target.exec(["dd", "if=/dev/urandom", "of=/tmp/bench/session.bin", "bs=1M", `count=${sizeMib}`, "status=none"]).catch(() => null);
  if (made?.exitCode !== 0) {
    await target.exec(["mkdir", "-p", "/tmp/bench"]);
    const again = await target.exec(["dd", "if=/dev/urandom", "of=/tmp/bench/session.bin", "bs=1M", `count=${sizeMib}`, "status=none"]);
    if (again.exitCode !== 0) throw new Error(`dd failed: ${again.stderr}`);
  }
  const bytes = sizeMib * MiB;

  const timeIt = async (label, fn) => {
    const dir = path.join(hostTmp, `${label}-${Math.random().toString(36).slice(2)}`);
    // Start each run with no dirty pages left by the previous one (writeback would slow whoever is next).
    await run("sync");
    const started = process.hrtime.bigint();
    await fn(dir);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const size = (await stat(path.join(dir, "session.bin"))).size;
    if (size !== bytes) throw new Error(`${label}: copied ${size} bytes, expected ${bytes}`);
    await rm(dir, { recursive: true, force: true });
    return seconds;
  };
  const dockerCp = (dir) => run("docker", ["cp", `${name}:/tmp/bench/.`, dir]);
  const copyOut = (dir) => target.copyOut("/tmp/bench", dir);

  // warm-up (page cache, connections), then alternate
  await timeIt("warm-cp", dockerCp);
  await timeIt("warm-copyout", copyOut);
  const cp = [];
  const ours = [];
  for (let i = 0; i < runs; i++) {
    // alternate who goes first (ABBA) so neither always inherits the other's after-effects
    if (i % 2 === 0) {
      cp.push(await timeIt("cp", dockerCp));
      ours.push(await timeIt("copyout", copyOut));
    } else {
      ours.push(await timeIt("copyout", copyOut));
      cp.push(await timeIt("cp", dockerCp));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cpSeconds = median(cp);
  const oursSeconds = median(ours);
  const mbps = (s) => Math.round((bytes / MiB / s) * 10) / 10;
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const ratio = Math.round((cpSeconds / oursSeconds) * 100) / 100;
  const bestRatio = Math.round((Math.min(...cp) / Math.min(...ours)) * 100) / 100;
  const result = {
    size_mib: sizeMib,
    image,
    runs,
    docker_cp: { seconds: cp.map((s) => +s.toFixed(3)), median_seconds: +cpSeconds.toFixed(3), mib_per_s: mbps(cpSeconds) },
    copy_out: { seconds: ours.map((s) => +s.toFixed(3)), median_seconds: +oursSeconds.toFixed(3), mib_per_s: mbps(oursSeconds) },
    throughput_ratio: ratio,
    best_run_ratio: bestRatio,
    peak_rss_mb: peakRssMb,
    targets: { throughput_ratio_min: 0.8, peak_rss_mb_max: 200 },
    pass: ratio >= 0.8 && peakRssMb < 200,
  };
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.pass ? 0 : 1;
} finally {
  await container.remove({ force: true }).catch(() => undefined);
  await rm(hostTmp, { recursive: true, force: true });
}
