#!/usr/bin/env node
// Start-up of `memray-cli --help` against bare `node -e 0` (issue "The CLI as users meet it": goal at
// most 3x). Plain Node, no dependencies; needs the built CLI (packages/cli/dist). Rounds are
// interleaved (node, --help, node, --help, ...) so load drift on a shared machine hits both alike; the
// ratio is of the medians. Also measures `profile --help` (loads core and zod) and `runs list` on an
// empty directory, for information.
//
//   node tools/bench/cli-startup.mjs [--rounds 21] [--json]
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(root, "packages/cli/dist/bin.js");
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1]) || 21;
const asJson = args.includes("--json");
const empty = mkdtempSync(path.join(os.tmpdir(), "memray-cli-startup-"));

const commands = {
  "node -e 0": [process.execPath, ["-e", "0"]],
  "memray-cli --help": [process.execPath, [bin, "--help"]],
  "memray-cli profile --help": [process.execPath, [bin, "profile", "--help"]],
  "memray-cli runs list": [process.execPath, [bin, "runs", "list", "--out", empty]],
};

function time([file, argv]) {
  const started = process.hrtime.bigint();
  const result = spawnSync(file, argv, { cwd: empty, stdio: ["ignore", "ignore", "ignore"], env: { ...process.env, NO_COLOR: "1" } });
  if (result.status !== 0) throw new Error(`${file} ${argv.join(" ")} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
for (const command of Object.values(commands)) time(command); // warm the file cache
for (let round = 0; round < rounds; round++) {
  for (const [name, command] of Object.entries(commands)) samples[name].push(time(command));
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const base = median(samples["node -e 0"]);
const results = Object.fromEntries(
  Object.entries(samples).map(([name, values]) => [
    name,
    { median_ms: Number(median(values).toFixed(1)), min_ms: Number(Math.min(...values).toFixed(1)), ratio: Number((median(values) / base).toFixed(2)) },
  ]),
);
if (asJson) {
  console.log(JSON.stringify({ rounds, node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), results }, null, 2));
} else {
  console.log(
    `${rounds} interleaved rounds · node ${process.version} · ${os.cpus().length} CPUs · load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (const [name, r] of Object.entries(results))
    console.log(`${name.padEnd(28)} median ${String(r.median_ms).padStart(7)} ms  min ${String(r.min_ms).padStart(7)} ms  ${r.ratio.toFixed(2)}x`);
  const ratio = results["memray-cli --help"].ratio;
  console.log(`memray-cli --help / node -e 0 = ${ratio.toFixed(2)}x (goal <= 3x): ${ratio <= 3 ? "ok" : "over the goal"}`);
}
