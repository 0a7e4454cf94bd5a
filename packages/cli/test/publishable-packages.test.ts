import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./cli-runner.js";

// Every package but the private ones is publishable as it stands: its manifest has what the registry
// and its readers need (public access, MIT, the repository and the package's directory in it), and
// `npm pack --dry-run` lists exactly what a user needs: LICENSE, README.md, package.json, every
// entry point (main, types, exports, bins) and every file those load, and nothing else (sources,
// tests, caches, the standalone executable). `npm publish --dry-run` then warns about nothing but the
// missing login. Needs the packages built (dist/, core's staged harness).

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  files?: string[];
  publishConfig?: { access?: string };
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
}

interface PackedFile {
  path: string;
  mode: number;
}

const rootLicense = readFileSync(path.join(repoRoot, "LICENSE"), "utf8");
const packages = readdirSync(path.join(repoRoot, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => ({ dir: entry.name, manifest: JSON.parse(readFileSync(path.join(repoRoot, "packages", entry.name, "package.json"), "utf8")) as Manifest }))
  .filter(({ manifest }) => !manifest.private);

/** Files a package loads beyond its declared entry points, by package directory. */
const ALSO_NEEDED: Record<string, string[]> = {
  cli: ["dist/bin.js"],
  compare: ["dist/memray-compare.mjs"],
  core: [
    "python/memray_harness/__init__.py",
    "python/memray_harness/contract.json",
    "python/memray-runner.py",
    "schema/summary.schema.json",
    "schema/cli-profile.schema.json",
  ],
};

/** What a tarball must never hold. */
const FORBIDDEN: [RegExp, string][] = [
  [/^(src|test|tests|bench|scripts)\//, "sources, tests, benchmarks, build scripts"],
  [/(^|\/)python\/tests\//, "the harness's tests"],
  [/\.test\.[cm]?[jt]s$/, "a test"],
  [/(?<!\.d)\.[cm]?ts$/, "TypeScript source"],
  [/(^|\/)\.cache\//, "a cache"],
  [/(^|\/)__pycache__\/|\.pyc$/, "Python bytecode"],
  [/^(tsconfig|tsup\.config|vitest\.config|sea-config)/, "build configuration"],
  [/^dist\/standalone\//, "the standalone executable"],
  [/(^|\/)node_modules\//, "node_modules"],
];

/** Every string target of an `exports` map (conditions and subpaths flattened). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports];
  if (exports && typeof exports === "object") return Object.values(exports).flatMap(exportTargets);
  return [];
}

const normal = (target: string) => target.replace(/^\.\//, "");

/** `files` as a pattern: `schema/*.json` matches any schema file. */
function matches(pattern: string, file: string): boolean {
  const regex = new RegExp(
    `^${normal(pattern)
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^/]+")}$`,
  );
  return regex.test(file);
}

/** Relative modules a built file imports (static and dynamic). */
function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]!);
}

describe.each(packages.map((entry) => [entry.manifest.name, entry] as const))("%s is publishable", (_name, { dir, manifest }) => {
  const packageDir = path.join(repoRoot, "packages", dir);

  it("its manifest: public, MIT, the repository and its directory, LICENSE in files and equal to the root's", () => {
    expect(manifest.name).toBe(`@alpiq/memray-${dir}`);
    expect(manifest.publishConfig?.access).toBe("public");
    expect(manifest.license).toBe("MIT");
    expect(manifest.repository).toEqual({ type: "git", url: packages[0]!.manifest.repository?.url, directory: `packages/${dir}` });
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
    const web = manifest.repository!.url!.replace(/^git\+/, "").replace(/\.git$/, "");
    expect(manifest.homepage).toBe(`${web}/tree/main/packages/${dir}#readme`);
    expect(manifest.bugs).toEqual({ url: `${web}/issues` });
    expect(manifest.files).toEqual(expect.arrayContaining(["README.md", "LICENSE"]));
    expect(readFileSync(path.join(packageDir, "LICENSE"), "utf8")).toBe(rootLicense);
    for (const target of Object.values(manifest.bin ?? {})) expect(target, "npm publish drops a bin written ./bin/...").not.toMatch(/^\.\//);
  });

  it("npm pack: LICENSE, README.md, package.json, every entry point and what it loads; no sources, tests or caches", async () => {
    const pack = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packageDir });
    const [packed] = JSON.parse(String(pack.stdout)) as [{ files: PackedFile[] }];
    const files = packed.files.map((file) => file.path);
    const listed = new Set(files);
    const missing = (wanted: string[]) => wanted.filter((file) => !listed.has(normal(file)));

    expect(missing(["LICENSE", "README.md", "package.json"])).toEqual([]);
    expect(missing([manifest.main!, manifest.types!, ...(ALSO_NEEDED[dir] ?? [])])).toEqual([]);
    for (const target of exportTargets(manifest.exports)) {
      expect(
        files.some((file) => matches(target, file)),
        `exports target ${target}`,
      ).toBe(true);
    }
    for (const [name, target] of Object.entries(manifest.bin ?? {})) {
      const file = packed.files.find((entry) => entry.path === normal(target));
      expect(file, `bin ${name}`).toBeDefined();
      expect(file!.mode & 0o111, `bin ${name} is executable`).not.toBe(0);
      expect(readFileSync(path.join(packageDir, target), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
    // Every module a shipped file imports by a relative path is shipped too (tsup's chunks, the bins' dist entry).
    for (const file of files.filter((name) => /\.[cm]?js$/.test(name))) {
      for (const specifier of relativeImports(readFileSync(path.join(packageDir, file), "utf8"))) {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        expect(listed.has(resolved), `${file} imports ${specifier}`).toBe(true);
      }
    }
    for (const [pattern, what] of FORBIDDEN) {
      expect(
        files.filter((file) => pattern.test(file)),
        what,
      ).toEqual([]);
    }
  });

  it("npm publish --dry-run warns about nothing but the missing login", async () => {
    const publish = await execa("npm", ["publish", "--dry-run", "--ignore-scripts"], { cwd: packageDir, reject: false });
    expect(publish.exitCode, String(publish.stderr)).toBe(0);
    const warnings = String(publish.stderr)
      .split("\n")
      .filter((line) => /^npm (warn|WARN|ERR)/.test(line) && !/requires you to be logged in/.test(line));
    expect(warnings).toEqual([]);
    expect(String(publish.stderr)).toMatch(/with tag latest and public access \(dry-run\)/);
  });
});

it("every package of the workspace but test-support is published", () => {
  expect(packages.map(({ dir }) => dir).sort()).toEqual(["cli", "compare", "core", "debug-build", "docker", "kubernetes", "reports", "signals"]);
});
