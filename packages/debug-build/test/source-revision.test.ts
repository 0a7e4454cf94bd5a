import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { simpleGit } from "simple-git";
import { describe, expect, it } from "vitest";
import { parseBuildConfig } from "../src/build-config.js";
import type { GitFactory } from "../src/build-context.js";
import { cacheKey, sourceRevision } from "../src/source-revision.js";
import { commitAll, gitInit } from "./helpers/git-repo.js";

const git: GitFactory = (dir) => simpleGit({ baseDir: dir });

async function repo(files: Record<string, string>, commit = true): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "revision-"));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  gitInit(dir);
  if (commit) commitAll(dir, "init");
  return dir;
}

describe("sourceRevision (git)", () => {
  it("is the directory's tree at HEAD when clean; changes with edits, untracked files and commits", async () => {
    const dir = await repo({ ".gitignore": "/target/\n", "crate/Cargo.toml": "[package]\n", "crate/src/lib.rs": "// v1\n", "docs/README.md": "docs\n" });
    const crate = path.join(dir, "crate");
    const clean = await sourceRevision(crate, git);
    expect(clean).toMatchObject({ kind: "git", changes: null, changedFiles: 0 });
    expect(clean.id).toMatch(/^git:[0-9a-f]{40}:clean$/);
    expect(await sourceRevision(crate, git)).toEqual(clean);

    // A commit elsewhere in the repository moves HEAD but not the crate's tree: same id.
    await writeFile(path.join(dir, "docs/README.md"), "more docs\n");
    commitAll(dir, "docs");
    const afterDocs = await sourceRevision(crate, git);
    expect(afterDocs.id).toBe(clean.id);
    expect(afterDocs.kind === "git" && afterDocs.head).not.toBe(clean.kind === "git" && clean.head);

    await writeFile(path.join(crate, "src/lib.rs"), "// v2\n");
    const edited = await sourceRevision(crate, git);
    expect(edited).toMatchObject({ changedFiles: 1 });
    expect(edited.id).not.toBe(clean.id);
    await writeFile(path.join(crate, "src/lib.rs"), "// v3\n");
    expect((await sourceRevision(crate, git)).id).not.toBe(edited.id);

    await writeFile(path.join(crate, "src/lib.rs"), "// v1\n");
    expect((await sourceRevision(crate, git)).id).toBe(clean.id);
    await writeFile(path.join(crate, "src/new.rs"), "// untracked\n");
    const untracked = await sourceRevision(crate, git);
    expect(untracked).toMatchObject({ changedFiles: 1 });
    expect(untracked.id).not.toBe(clean.id);

    // Ignored files (the cargo target dir) never change the revision.
    await mkdir(path.join(crate, "target"), { recursive: true });
    await writeFile(path.join(crate, "target/lib.so"), "binary");
    expect((await sourceRevision(crate, git)).id).toBe(untracked.id);

    commitAll(dir, "new module");
    const committed = await sourceRevision(crate, git);
    expect(committed).toMatchObject({ changes: null });
    expect(committed.id).not.toBe(clean.id);
  });

  it("works before the first commit (every file is untracked)", async () => {
    const dir = await repo({ "Cargo.toml": "", "src/lib.rs": "" }, false);
    const revision = await sourceRevision(dir, git);
    expect(revision).toMatchObject({ kind: "git", head: null, tree: null, changedFiles: 2 });
  });
});

describe("sourceRevision (plain files)", () => {
  it("hashes the build context's files when the directory is not in a git work tree", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "revision-files-"));
    await writeFile(path.join(dir, "Cargo.toml"), "[package]\n");
    await mkdir(path.join(dir, "target"));
    await writeFile(path.join(dir, "target/x"), "1");
    const first = await sourceRevision(dir, git);
    expect(first).toMatchObject({ kind: "files", files: 1 });
    await writeFile(path.join(dir, "target/x"), "2");
    expect((await sourceRevision(dir, git)).id).toBe(first.id);
    await writeFile(path.join(dir, "Cargo.toml"), "[package]\nname = 'x'\n");
    expect((await sourceRevision(dir, git)).id).not.toBe(first.id);
  });
});

describe("cacheKey", () => {
  const revision = { kind: "files" as const, hash: "abc", files: 1, id: "files:abc" };
  it("depends on the revision, every config field and the copied libraries' contents", () => {
    const base = cacheKey(revision, parseBuildConfig());
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(cacheKey(revision, parseBuildConfig())).toBe(base);
    expect(cacheKey({ ...revision, id: "files:abd" }, parseBuildConfig())).not.toBe(base);
    expect(cacheKey(revision, parseBuildConfig({ baseImage: "memray-rust-base:bookworm" }))).not.toBe(base);
    expect(cacheKey(revision, parseBuildConfig({ aptPackages: ["libssl-dev"] }))).not.toBe(base);
    expect(cacheKey(revision, parseBuildConfig({ debugInfo: 0 }))).not.toBe(base);
    const libs = [{ path: "/opt/libduckdb.so", sha256: "1" }];
    expect(cacheKey(revision, parseBuildConfig(), libs)).not.toBe(cacheKey(revision, parseBuildConfig(), [{ ...libs[0]!, sha256: "2" }]));
  });
});
