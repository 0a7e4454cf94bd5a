#!/usr/bin/env node
// Size and start-up time of the standalone executable against the npm bin: `memray-compare --version`,
// N interleaved runs of each (default 21), wall time of spawn to exit, medians. A measurement, not a
// test: nothing fails on a number. `npm run measure:standalone -w @alpiq/memray-compare [-- --runs 21 --npx]`
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { runs: { type: "string", default: "21" }, npx: { type: "boolean", default: false } } });
const runs = Number(values.runs);

const executable = path.join(packageDir, "dist", "standalone", "memray-compare");
const bin = path.join(packageDir, "bin", "memray-compare.mjs");
if (!existsSync(executable)) {
  process.stderr.write("dist/standalone/memray-compare is missing: npm run build:standalone -w @alpiq/memray-compare\n");
  process.exit(2);
}

// The bin is run as npm links it (node_modules/.bin/memray-compare → bin/memray-compare.mjs, through its
// `#!/usr/bin/env node` line); the standalone executable with an empty environment (no PATH, so no node).
const contenders = [
  { name: "standalone (env -i)", file: executable, args: ["--version"], env: {} },
  { name: "npm bin (node + bundle)", file: bin, args: ["--version"], env: { PATH: process.env.PATH } },
];
if (values.npx) contenders.push({ name: "npx memray-compare", file: "npx", args: ["--no-install", "memray-compare", "--version"], env: process.env });

const times = contenders.map(() => []);
for (let i = 0; i < runs; i += 1) {
  contenders.forEach((c, j) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(c.file, c.args, { env: c.env, encoding: "utf8", cwd: packageDir });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}: ${result.stderr}`);
    times[j].push(ms);
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1] / 2 + s[s.length >> 1] / 2;
};
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
process.stdout.write(`node ${process.version}, ${runs} interleaved runs each of \`--version\`\n`);
process.stdout.write(`standalone size: ${mib(statSync(executable).size)} (the Node binary ${mib(statSync(process.execPath).size)} + the bundle)\n`);
for (const [j, c] of contenders.entries()) {
  const xs = times[j];
  process.stdout.write(
    `${c.name.padEnd(26)} median ${median(xs).toFixed(1).padStart(6)} ms   min ${Math.min(...xs)
      .toFixed(1)
      .padStart(6)} ms   max ${Math.max(...xs)
      .toFixed(1)
      .padStart(6)} ms\n`,
  );
}
