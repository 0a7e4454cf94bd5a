import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DebugBuildSourceInvalidError } from "../src/errors.js";
import { readMaturinProject, tomlTableValue } from "../src/maturin-project.js";

const PYPROJECT = '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n\n[project]\nname = "py-mando"\n';
const CARGO = '[package]\nname = "py_mando"\nversion = "0.1.0"\n';

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "maturin-project-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe("readMaturinProject", () => {
  it("reads the distribution name and the manifest", async () => {
    const dir = await project({ "pyproject.toml": PYPROJECT, "Cargo.toml": CARGO });
    expect(await readMaturinProject(dir)).toEqual({ dir, name: "py-mando", manifest: "Cargo.toml" });
  });

  it("follows [tool.maturin] manifest-path and falls back to the crate's name", async () => {
    const dir = await project({
      "pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n[tool.maturin]\nmanifest-path = "rust/Cargo.toml"\n',
      "rust/Cargo.toml": CARGO,
    });
    expect(await readMaturinProject(dir)).toMatchObject({ name: "py_mando", manifest: "rust/Cargo.toml" });
  });

  it.each([
    ["neither file", {}, /has neither pyproject.toml nor Cargo.toml/],
    ["no pyproject.toml", { "Cargo.toml": CARGO }, /has a Cargo.toml but no pyproject.toml/],
    ["no Cargo.toml", { "pyproject.toml": PYPROJECT }, /has a pyproject.toml but no Cargo.toml/],
    [
      "another build backend",
      { "pyproject.toml": '[build-system]\nbuild-backend = "setuptools.build_meta"\n', "Cargo.toml": CARGO },
      /builds with setuptools.build_meta, not maturin/,
    ],
  ])("rejects a source with %s (DEBUG_BUILD_SOURCE_INVALID, exit 2)", async (_, files, message) => {
    const dir = await project(files);
    const error = await readMaturinProject(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DebugBuildSourceInvalidError);
    expect(error).toMatchObject({ code: "DEBUG_BUILD_SOURCE_INVALID", exitCode: 2 });
    expect((error as Error).message).toMatch(message);
  });

  it("rejects a missing directory and a file", async () => {
    await expect(readMaturinProject("/nonexistent/source")).rejects.toThrow(/does not exist/);
    const dir = await project({ "pyproject.toml": PYPROJECT });
    await expect(readMaturinProject(path.join(dir, "pyproject.toml"))).rejects.toThrow(/is a file, not a directory/);
  });

  it("reads a key of one TOML table only", () => {
    const toml = '[package]\nname = "a"\n[dependencies]\nname = "b"\n[ project ]\nname = \'c\'\n';
    expect(tomlTableValue(toml, "package", "name")).toBe("a");
    expect(tomlTableValue(toml, "project", "name")).toBe("c");
    expect(tomlTableValue(toml, "tool.maturin", "name")).toBeNull();
  });
});
