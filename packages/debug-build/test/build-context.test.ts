import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { simpleGit } from "simple-git";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { gitInit } from "./helpers/git-repo.js";
import { anchorDockerPattern, listSourceFiles, packBuildContext, type GitFactory } from "../src/build-context.js";

const git: GitFactory = (dir) => simpleGit({ baseDir: dir });

async function tree(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "build-context-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const CRATE = {
  "pyproject.toml": "[build-system]\n",
  "Cargo.toml": "[package]\n",
  "Cargo.lock": "",
  "src/lib.rs": "// lib\n",
  "target/release/libdemo.so": "binary",
  "target/CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55",
  "other-target/CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55",
  "other-target/debug/x": "x",
  "src/target/mod.rs": "// a module named target stays\n",
  "notes/big.bin": "data",
  "notes/keep.md": "keep",
  "python/demo/__pycache__/x.pyc": "pyc",
  "python/demo/__init__.py": "",
  ".gitignore": "/target/\n__pycache__/\n",
  ".dockerignore": "notes\n!notes/keep.md\n**/*.swp\n*.orig\n",
  "src/lib.rs.orig": "a root-anchored pattern (*.orig) does not reach src/",
  "src/editor.swp": "swap",
};
const EXPECTED = [
  ".dockerignore",
  ".gitignore",
  "Cargo.lock",
  "Cargo.toml",
  "notes/keep.md",
  "pyproject.toml",
  "python/demo/__init__.py",
  "src/lib.rs",
  "src/lib.rs.orig",
  "src/target/mod.rs",
];

describe("listSourceFiles", () => {
  it("outside git: walks, honouring .gitignore files, .dockerignore, never target/ or a cargo target dir", async () => {
    const dir = await tree({ ...CRATE, "python/.gitignore": "*.tmp\n", "python/demo/scratch.tmp": "t" });
    const listing = await listSourceFiles(dir, git);
    expect(listing.listedBy).toBe("walk");
    expect(listing.files).toEqual([...EXPECTED, "python/.gitignore"].sort());
  });

  it("in a git work tree: tracked and untracked files, not ignored ones, no .git/", async () => {
    const dir = await tree({ ...CRATE, ".git-keep": "" });
    gitInit(dir);
    execFileSync("git", ["add", "-A"], { cwd: dir });
    execFileSync("git", ["commit", "-qm", "init"], { cwd: dir });
    await writeFile(path.join(dir, "src/untracked.rs"), "// new\n");
    await rm(path.join(dir, "Cargo.lock"));
    const listing = await listSourceFiles(dir, git);
    expect(listing.listedBy).toBe("git");
    expect(listing.gitRoot).toBe(await import("node:fs/promises").then((fs) => fs.realpath(dir)));
    expect(listing.files).toEqual([".git-keep", ...EXPECTED.filter((f) => f !== "Cargo.lock"), "src/untracked.rs"].sort());
  });

  it("a source directory inside a larger repository lists only its own files, with the parent's .gitignore", async () => {
    const repo = await tree({
      ".gitignore": "*.log\n",
      "other/file.rs": "",
      "crates/demo/src/lib.rs": "",
      "crates/demo/build.log": "log",
      "crates/demo/Cargo.toml": "",
    });
    gitInit(repo);
    const listing = await listSourceFiles(path.join(repo, "crates/demo"), git);
    expect(listing.files).toEqual(["Cargo.toml", "src/lib.rs"]);
  });

  it("a source directory its repository ignores is walked", async () => {
    const repo = await tree({ ".gitignore": "/scratch/\n", "scratch/crate/Cargo.toml": "", "scratch/crate/src/lib.rs": "" });
    gitInit(repo);
    const listing = await listSourceFiles(path.join(repo, "scratch/crate"), git);
    expect(listing.listedBy).toBe("walk");
    expect(listing.files).toEqual(["Cargo.toml", "src/lib.rs"]);
  });

  it("anchors .dockerignore patterns at the context root, as Docker does", () => {
    expect(anchorDockerPattern("target")).toBe("/target");
    expect(anchorDockerPattern("./docs/*.md")).toBe("/docs/*.md");
    expect(anchorDockerPattern("!notes/keep.md")).toBe("!/notes/keep.md");
    expect(anchorDockerPattern("**/*.pyc")).toBe("**/*.pyc");
  });
});

describe("packBuildContext", () => {
  it("streams the extras and the listed files (contents, modes, symlinks) as a tar", async () => {
    const dir = await tree({ "src/lib.rs": "fn main() {}\n", "build.sh": "#!/bin/sh\n" });
    execFileSync("chmod", ["755", path.join(dir, "build.sh")]);
    await symlink("src/lib.rs", path.join(dir, "link.rs"));
    const stream = packBuildContext(dir, ["build.sh", "link.rs", "src/lib.rs"], [{ name: ".memray-debug-build/Dockerfile", content: "FROM x\n" }]);
    const entries: Array<{ name: string; type: string; mode: number; body: string; linkname?: string | null }> = [];
    const extract = tar.extract();
    extract.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (c: unknown) => chunks.push(c as Buffer));
      body.on("end", () => {
        entries.push({
          name: header.name,
          type: header.type ?? "file",
          mode: (header.mode ?? 0) & 0o777,
          body: Buffer.concat(chunks).toString(),
          linkname: header.linkname,
        });
        next();
      });
    });
    await new Promise<void>((resolve, reject) => {
      extract.on("finish", resolve);
      extract.on("error", reject);
      stream.pipe(extract);
    });
    expect(entries).toEqual([
      { name: ".memray-debug-build/Dockerfile", type: "file", mode: 0o644, body: "FROM x\n", linkname: null },
      { name: "build.sh", type: "file", mode: 0o755, body: "#!/bin/sh\n", linkname: null },
      { name: "link.rs", type: "symlink", mode: 0o777, body: "", linkname: "src/lib.rs" },
      { name: "src/lib.rs", type: "file", mode: 0o644, body: "fn main() {}\n", linkname: null },
    ]);
  });

  it("ends the stream with an error when a listed file vanished", async () => {
    const dir = await tree({ "a.rs": "" });
    const stream = packBuildContext(dir, ["a.rs", "gone.rs"]);
    await expect(
      new Promise((resolve, reject) => {
        stream.on("error", reject);
        stream.on("end", resolve);
        stream.resume();
      }),
    ).rejects.toThrow(/gone\.rs/);
  });
});
