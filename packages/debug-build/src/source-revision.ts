import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import createDebug from "debug";
import type { BuildConfig } from "./build-config.js";
import { defaultGit, listSourceFiles, type GitFactory, type SourceFiles } from "./build-context.js";

const debug = createDebug("memray:debug-build");

/** Bump when the cache layout or what a key covers changes: old entries are then never matched. */
export const CACHE_FORMAT = 1;

/** What the source looked like when it was built: the first half of the cache key. */
export type SourceRevision =
  | {
      kind: "git";
      /** HEAD commit (null before the first commit). */
      head: string | null;
      /** Tree id of the source directory at HEAD: unchanged when only other parts of the repository change. */
      tree: string | null;
      /** Hash of the uncommitted and untracked (not ignored) changes under the source directory; null when clean. */
      changes: string | null;
      /** How many files differ from HEAD. */
      changedFiles: number;
      /** The string the cache key is made from. */
      id: string;
    }
  | {
      kind: "files";
      /** Hash of every file of the build context (paths, executable bits, contents). */
      hash: string;
      files: number;
      id: string;
    };

/**
 * The source revision with simple-git: the directory's tree at HEAD plus a hash of its uncommitted
 * and untracked changes; a plain hash of the build context's files when the directory is not in a
 * git work tree (or its repository ignores it). `listing` (listSourceFiles) saves listing the files twice.
 */
export async function sourceRevision(sourceDir: string, git: GitFactory = defaultGit, listing?: SourceFiles): Promise<SourceRevision> {
  const root = path.resolve(sourceDir);
  listing ??= await listSourceFiles(root, git);
  if (listing.listedBy === "git" && listing.gitRoot) {
    const repo = git(root);
    const head = await repo.raw(["rev-parse", "--verify", "-q", "HEAD"]).then(
      (out) => out.trim() || null,
      () => null,
    );
    const prefix = (await repo.raw(["rev-parse", "--show-prefix"])).trim();
    const tree = head
      ? await repo.raw(["rev-parse", "--verify", "-q", `HEAD:${prefix}`]).then(
          (out) => out.trim() || null,
          () => null,
        )
      : null;
    const gitRoot = listing.gitRoot;
    const realRoot = await realpath(root); // git prints real paths
    const inContext = new Set(listing.files);
    const status = await repo.raw(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "."]);
    const entries = status
      .split("\0")
      .filter((entry) => entry.length > 3)
      .map((entry) => ({ code: entry.slice(0, 2), file: entry.slice(3) }))
      // Only what the build sees: changes under target/, .dockerignore'd paths etc. do not count.
      .filter(({ code, file }) => inContext.has(path.relative(realRoot, path.join(gitRoot, file)).split(path.sep).join("/")) || code.includes("D"))
      .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    let changes: string | null = null;
    if (entries.length > 0) {
      const hash = createHash("sha256");
      for (const { code, file } of entries) {
        hash.update(`${code} ${file}\0`);
        await hashFile(hash, path.join(gitRoot, file));
      }
      changes = hash.digest("hex").slice(0, 16);
    }
    const id = `git:${tree ?? "not-in-HEAD"}:${changes ?? "clean"}`;
    debug("revision of %s: %s (HEAD %s, %d changed)", root, id, head, entries.length);
    return { kind: "git", head, tree, changes, changedFiles: entries.length, id };
  }
  const hash = createHash("sha256");
  for (const file of listing.files) {
    hash.update(`${file}\0`);
    await hashFile(hash, path.join(root, file));
  }
  const digest = hash.digest("hex").slice(0, 16);
  debug("revision of %s: files %s (%d files)", root, digest, listing.files.length);
  return { kind: "files", hash: digest, files: listing.files.length, id: `files:${digest}` };
}

/** Mode (executable or not), then the contents of a file, a symlink's target, or "deleted". */
async function hashFile(hash: ReturnType<typeof createHash>, file: string): Promise<void> {
  const info = await lstat(file).catch(() => null);
  if (!info) {
    hash.update("deleted\0");
  } else if (info.isSymbolicLink()) {
    hash.update(`symlink ${await readlink(file)}\0`);
  } else if (info.isFile()) {
    hash.update(`${info.mode & 0o111 ? "x" : "-"} ${info.size}\0`);
    await pipeline(createReadStream(file), async function* (source) {
      for await (const chunk of source) hash.update(chunk as Buffer);
    });
    hash.update("\0");
  } else {
    hash.update("other\0");
  }
}

/** Host files whose contents the build depends on besides the source (the copied libraries). */
export interface KeyedFile {
  path: string;
  sha256: string;
}

/**
 * The cache key: the source revision and the build config (every field), plus the contents of the
 * copied libraries. 16 hex characters.
 */
export function cacheKey(revision: SourceRevision, config: BuildConfig, libs: readonly KeyedFile[] = []): string {
  const material = JSON.stringify({ format: CACHE_FORMAT, revision: revision.id, config, libs: libs.map((lib) => [path.basename(lib.path), lib.sha256]) });
  return createHash("sha256").update(material).digest("hex").slice(0, 16);
}

/** sha256 of a host file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), async function* (source) {
    for await (const chunk of source) hash.update(chunk as Buffer);
  });
  return hash.digest("hex");
}
