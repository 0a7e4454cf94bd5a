#!/usr/bin/env node
// Builds dist/standalone/memray-compare: a Linux x64 executable that runs with no Node.js installed,
// made with Node's single executable application support (SEA):
//   1. one CommonJS bundle of src/bin.ts with core, zod and picocolors inside (tsup/esbuild);
//   2. `node --experimental-sea-config sea-config.json` turns it into a blob (with V8's code cache);
//   3. a copy of this Node binary (process.execPath) gets the blob injected by postject (pinned devDependency).
// Nothing is downloaded. Skips all of it when the executable is newer than its inputs and was made by
// this same Node binary (`--force` rebuilds). `npm run build:standalone -w @alpiq/memray-compare`.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { singleFileBin } from "./single-file-bin.mjs";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(packageDir, "..", "..");
const outDir = path.join(packageDir, "dist", "standalone");
const executable = path.join(outDir, "memray-compare");
const bundle = path.join(outDir, "memray-compare.cjs");
const blob = path.join(outDir, "sea-prep.blob");
const stampFile = path.join(outDir, "memray-compare.stamp.json");
// The fuse Node's SEA support looks for (documented in Node's single-executable-applications guide).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const force = process.argv.includes("--force");
const log = (message) => process.stderr.write(`build:standalone: ${message}\n`);

function fail(message) {
  process.stderr.write(`build:standalone: ${message}\n`);
  process.exit(2);
}

if (process.platform !== "linux" || process.arch !== "x64") {
  fail(`builds a Linux x64 executable; this is ${process.platform} ${process.arch}`);
}

/** Every file the executable is made from (the bundle's sources, the recipe and the Node binary). */
function inputs() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(packageDir, "src"));
  files.push(
    path.join(packageDir, "package.json"),
    path.join(packageDir, "sea-config.json"),
    fileURLToPath(import.meta.url),
    fileURLToPath(new URL("single-file-bin.mjs", import.meta.url)),
    path.join(repoRoot, "package-lock.json"),
    path.join(repoRoot, "packages", "core", "dist", "index.js"),
    process.execPath,
  );
  return files;
}

function upToDate() {
  if (force || !existsSync(executable) || !existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, "utf8"));
    if (stamp.node !== process.version || stamp.execPath !== process.execPath) return false;
  } catch {
    return false;
  }
  const built = statSync(executable).mtimeMs;
  return inputs().every((file) => existsSync(file) && statSync(file).mtimeMs <= built);
}

if (!existsSync(path.join(repoRoot, "packages", "core", "dist", "index.js"))) {
  fail("packages/core/dist is missing: build the workspace first (npx nx run-many -t build)");
}
if (upToDate()) {
  log(`up to date: ${path.relative(process.cwd(), executable) || executable}`);
  process.exit(0);
}

const started = Date.now();
mkdirSync(outDir, { recursive: true });
for (const file of [executable, bundle, blob, stampFile]) rmSync(file, { force: true });

// 1. The CommonJS bundle (SEA runs one CommonJS script whose `require` reaches only Node's built-ins).
const { build } = await import("tsup");
await build({
  ...singleFileBin,
  config: false,
  entry: { "memray-compare": path.join(packageDir, "src", "bin.ts") },
  outDir,
  format: ["cjs"],
  outExtension: () => ({ js: ".cjs" }),
  shims: true,
  silent: true,
  tsconfig: path.join(packageDir, "tsconfig.json"),
});

// 2. The blob.
execFileSync(process.execPath, ["--experimental-sea-config", "sea-config.json"], { cwd: packageDir, stdio: ["ignore", "ignore", "inherit"] });

// 3. A copy of this Node binary with the blob injected.
copyFileSync(process.execPath, executable);
chmodSync(executable, 0o755);
const { inject } = await import("postject");
await inject(executable, "NODE_SEA_BLOB", readFileSync(blob), { sentinelFuse: SEA_FUSE });

// Smoke test: the executable answers like the bin.
const version = execFileSync(executable, ["--version"], { env: {}, encoding: "utf8" }).trim();
const expected = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
if (version !== expected) fail(`the executable printed version "${version}", expected "${expected}"`);

writeFileSync(stampFile, `${JSON.stringify({ node: process.version, execPath: process.execPath }, null, 2)}\n`);
rmSync(blob, { force: true });
const size = statSync(executable).size;
log(
  `wrote ${path.relative(process.cwd(), executable) || executable} (${(size / 1024 / 1024).toFixed(1)} MiB, Node ${process.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
