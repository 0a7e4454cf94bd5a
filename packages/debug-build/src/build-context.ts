import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import createDebug from "debug";
import ignore, { type Ignore } from "ignore";
import { simpleGit, type SimpleGit } from "simple-git";
import tar from "tar-stream";
import { CONTEXT_EXTRAS_DIR } from "./dockerfile.js";

const debug = createDebug("memray:debug-build");

/** simple-git for a directory (injected; the default is simple-git's own factory). */
export type GitFactory = (dir: string) => SimpleGit;

export const defaultGit: GitFactory = (dir) => simpleGit({ baseDir: dir });

export interface SourceFiles {
  /** Relative POSIX paths of the files (and symlinks) sent to the build, sorted. */
  files: string[];
  /** How they were listed: `git ls-files` (every .gitignore, .git/info/exclude) or a walk with .gitignore files. */
  listedBy: "git" | "walk";
  /** The git work tree's root, when listed by git. */
  gitRoot: string | null;
}

/** A file added to the build context besides the source (generated Dockerfile, CA bundle, libraries). */
export type ContextExtra = { name: string; content: string | Buffer } | { name: string; hostPath: string };

/**
 * The files of a source directory that go into the build context: what git would commit (tracked
 * plus untracked, minus everything .gitignore'd) or, outside a git work tree, a walk honouring every
 * .gitignore; then .dockerignore (Docker's root-anchored patterns, `!` exceptions) and never `.git/`,
 * the top-level `target/`, any cargo target directory (it holds CACHEDIR.TAG) or our own
 * `.memray-debug-build/`.
 */
export async function listSourceFiles(sourceDir: string, git: GitFactory = defaultGit): Promise<SourceFiles> {
  const root = path.resolve(sourceDir);
  const fromGit = await gitListing(root, git);
  let files = fromGit ? fromGit.files : await walk(root);
  const dockerignore = await readIgnoreFile(path.join(root, ".dockerignore"));
  if (dockerignore) {
    const excluded = dockerIgnoreMatcher(dockerignore);
    files = files.filter((file) => !excluded(file));
  }
  const cargoTargets = files.filter((file) => path.posix.basename(file) === "CACHEDIR.TAG").map((file) => `${path.posix.dirname(file)}/`);
  files = files.filter((file) => !alwaysExcluded(file) && !cargoTargets.some((dir) => dir !== "./" && file.startsWith(dir)));
  files.sort();
  debug("%d files in the build context of %s (listed by %s)", files.length, root, fromGit ? "git" : "walk");
  return { files, listedBy: fromGit ? "git" : "walk", gitRoot: fromGit?.root ?? null };
}

function alwaysExcluded(file: string): boolean {
  const parts = file.split("/");
  return parts[0] === "target" || parts[0] === CONTEXT_EXTRAS_DIR || parts.includes(".git");
}

/**
 * Docker's .dockerignore semantics: patterns are anchored at the context root, a pattern matching a
 * directory matches everything below it, and the LAST matching pattern decides (so `!dir/keep` can
 * re-include a file of an excluded directory, which gitignore cannot).
 */
export function dockerIgnoreMatcher(lines: readonly string[]): (file: string) => boolean {
  const rules = lines.map((line) => {
    const anchored = anchorDockerPattern(line);
    const negated = anchored.startsWith("!");
    return { negated, matcher: ignore().add(negated ? anchored.slice(1) : anchored) };
  });
  return (file) => {
    let excluded = false;
    for (const rule of rules) if (rule.matcher.ignores(file)) excluded = !rule.negated;
    return excluded;
  };
}

/** Docker anchors .dockerignore patterns at the context root; gitignore's `name` matches at any depth. */
export function anchorDockerPattern(line: string): string {
  const negated = line.startsWith("!");
  let pattern = negated ? line.slice(1) : line;
  pattern = pattern.replace(/^\.\//, "");
  if (!pattern.startsWith("/") && !pattern.startsWith("**")) pattern = `/${pattern}`;
  return `${negated ? "!" : ""}${pattern}`;
}

async function readIgnoreFile(file: string): Promise<string[] | null> {
  try {
    return (await readFile(file, "utf8"))
      .split(/\r?\n/)
      .map((line) => line.trimEnd())
      .filter((line) => line && !line.startsWith("#"));
  } catch {
    return null;
  }
}

/** `git ls-files` of the source directory, or null when it is not (usefully) inside a git work tree. */
async function gitListing(root: string, git: GitFactory): Promise<{ files: string[]; root: string } | null> {
  let repo: SimpleGit;
  try {
    repo = git(root);
    if (!(await repo.checkIsRepo())) return null;
    // A source directory that its repository ignores (e.g. under an ignored tmp/) is listed by walking.
    // (check-ignore prints the path when it is ignored and exits 1, printing nothing, otherwise.)
    const ignored = await repo.raw(["check-ignore", "."]).then(
      (out) => out.trim() !== "",
      () => false,
    );
    if (ignored) return null;
    const top = (await repo.revparse(["--show-toplevel"])).trim();
    const listed = await repo.raw(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]);
    const files: string[] = [];
    for (const file of new Set(listed.split("\0").filter(Boolean))) {
      const info = await lstat(path.join(root, file)).catch(() => null);
      if (!info) continue; // deleted in the work tree
      if (info.isDirectory())
        files.push(...(await walk(path.join(root, file))).map((inner) => `${file}/${inner}`)); // a submodule
      else files.push(file);
    }
    return { files, root: top };
  } catch (error) {
    debug("git listing of %s failed, walking instead: %O", root, error);
    return null;
  }
}

/** Every file under `root` (relative POSIX paths), honouring each directory's .gitignore. */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  async function visit(dir: string, rules: Array<{ base: string; ig: Ignore }>): Promise<void> {
    const rel = path.relative(root, dir).split(path.sep).join("/");
    const own = await readIgnoreFile(path.join(dir, ".gitignore"));
    const scoped = own ? [...rules, { base: rel, ig: ignore().add(own) }] : rules;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name === ".git") continue;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const isDir = entry.isDirectory();
      const ignored = scoped.some(({ base, ig }) => {
        const inner = base ? relPath.slice(base.length + 1) : relPath;
        return ig.ignores(isDir ? `${inner}/` : inner);
      });
      if (ignored) continue;
      if (isDir) await visit(path.join(dir, entry.name), scoped);
      else if (entry.isFile() || entry.isSymbolicLink()) out.push(relPath);
    }
  }
  await visit(root, []);
  return out;
}

/**
 * The build context as a tar stream (never buffered whole): the extras first, then the source files,
 * each streamed from disk. Symlinks stay symlinks. Errors end the stream with the error.
 */
export function packBuildContext(sourceDir: string, files: readonly string[], extras: readonly ContextExtra[] = []): NodeJS.ReadableStream {
  const root = path.resolve(sourceDir);
  const pack = tar.pack();
  const owner = { uid: 0, gid: 0, uname: "root", gname: "root" };
  void (async () => {
    try {
      for (const extra of extras) {
        const content = "content" in extra ? Buffer.from(extra.content) : await readFile(extra.hostPath);
        await new Promise<void>((resolve, reject) =>
          pack.entry({ name: extra.name, size: content.length, mode: 0o644, mtime: new Date(0), ...owner }, content, (error) =>
            error ? reject(error) : resolve(),
          ),
        );
      }
      for (const file of files) {
        const absolute = path.join(root, file);
        const info = await lstat(absolute);
        if (info.isSymbolicLink()) {
          const linkname = await readlink(absolute);
          await new Promise<void>((resolve, reject) =>
            pack.entry({ name: file, type: "symlink", linkname, mode: 0o777, mtime: info.mtime, ...owner }, (error) => (error ? reject(error) : resolve())),
          );
        } else if (info.isFile()) {
          const entry = pack.entry({ name: file, size: info.size, mode: info.mode & 0o7777, mtime: info.mtime, ...owner });
          await pipeline(createReadStream(absolute), entry);
        }
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  return pack as unknown as NodeJS.ReadableStream;
}
