import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { DebugBuildSourceInvalidError } from "./errors.js";

/** What the build needs to know about the project before it starts. */
export interface MaturinProject {
  /** Absolute source directory. */
  dir: string;
  /** Distribution name (pyproject's [project] name, else the crate's name, else the directory's). */
  name: string;
  /** Cargo.toml the build uses, relative to `dir` (pyproject's `[tool.maturin] manifest-path`, else Cargo.toml). */
  manifest: string;
}

/** `name = "value"` inside a TOML table (`[project]`), without a TOML parser: enough for these three keys. */
export function tomlTableValue(toml: string, table: string, key: string): string | null {
  let inTable = false;
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      inTable = line.replace(/\s+/g, "") === `[${table}]`;
      continue;
    }
    if (!inTable) continue;
    const match = new RegExp(`^${key.replace(/[-.]/g, (c) => `\\${c}`)}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(line);
    if (match) return match[1] ?? match[2] ?? null;
  }
  return null;
}

/**
 * Check that a directory is a maturin/PyO3 project: pyproject.toml (with maturin as build backend when
 * it names one) and the Cargo.toml it builds. Throws DebugBuildSourceInvalidError (exit 2) naming
 * what is missing.
 */
export async function readMaturinProject(source: string): Promise<MaturinProject> {
  const dir = path.resolve(source);
  const info = await stat(dir).catch(() => null);
  if (!info) throw new DebugBuildSourceInvalidError(source, "the directory does not exist");
  if (!info.isDirectory()) throw new DebugBuildSourceInvalidError(source, "it is a file, not a directory");
  const pyproject = await readFile(path.join(dir, "pyproject.toml"), "utf8").catch(() => null);
  const rootCargo = await readFile(path.join(dir, "Cargo.toml"), "utf8").catch(() => null);
  if (pyproject === null && rootCargo === null) {
    throw new DebugBuildSourceInvalidError(source, "it has neither pyproject.toml nor Cargo.toml");
  }
  if (pyproject === null) {
    throw new DebugBuildSourceInvalidError(source, 'it has a Cargo.toml but no pyproject.toml (maturin needs [build-system] build-backend = "maturin")', {
      hint: 'run `maturin init` / add a pyproject.toml with [build-system] requires = ["maturin>=1,<2"] build-backend = "maturin"',
    });
  }
  const backend = tomlTableValue(pyproject, "build-system", "build-backend");
  if (backend !== null && backend !== "maturin") {
    throw new DebugBuildSourceInvalidError(source, `pyproject.toml builds with ${backend}, not maturin`);
  }
  const manifest = tomlTableValue(pyproject, "tool.maturin", "manifest-path") ?? "Cargo.toml";
  const cargo = manifest === "Cargo.toml" ? rootCargo : await readFile(path.join(dir, manifest), "utf8").catch(() => null);
  if (cargo === null) {
    throw new DebugBuildSourceInvalidError(source, `it has a pyproject.toml but no ${manifest} (the Rust crate maturin builds)`);
  }
  const name = tomlTableValue(pyproject, "project", "name") ?? tomlTableValue(cargo, "package", "name") ?? path.basename(dir);
  return { dir, name, manifest };
}
