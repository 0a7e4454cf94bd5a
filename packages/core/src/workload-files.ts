import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

/** What of a script's directory travels into a container: enough for helpers and requirements.txt, bounded. */
export const WORKLOAD_COPY_LIMIT_BYTES = 100 * 1024 * 1024;
const SKIPPED_DIRS = new Set([".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache", "runs"]);

export interface WorkloadFiles {
  /** Paths relative to the parent of the script's directory (what Target.copyIn's `include` takes). */
  include: Set<string>;
  warnings: string[];
}

/**
 * The files of the script's directory to copy beside it: regular files only (FIFOs, sockets and
 * devices would block or fail a copy), no VCS/virtualenv/cache directories, the script and its
 * requirements.txt always, the rest while the total stays under the limit.
 */
export async function selectWorkloadFiles(scriptPath: string, limitBytes = WORKLOAD_COPY_LIMIT_BYTES): Promise<WorkloadFiles> {
  const dir = path.dirname(scriptPath);
  const base = path.dirname(dir);
  const include = new Set<string>();
  const special: string[] = [];
  const over: string[] = [];
  let total = 0;
  const take = (file: string, size: number) => {
    include.add(path.relative(base, file));
    total += size;
  };
  for (const must of [scriptPath, path.join(dir, "requirements.txt")]) {
    const info = await lstat(must).catch(() => undefined);
    if (info?.isFile()) take(must, info.size);
  }
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) await walk(full);
      } else if (entry.isFile()) {
        if (include.has(path.relative(base, full))) continue;
        const { size } = await lstat(full);
        if (total + size > limitBytes) over.push(path.relative(dir, full));
        else take(full, size);
      } else if (!entry.isSymbolicLink()) {
        special.push(path.relative(dir, full));
      }
    }
  };
  await walk(dir);
  const warnings: string[] = [];
  if (special.length) warnings.push(`not copied into the target (not regular files): ${list(special)}`);
  if (over.length) warnings.push(`not copied into the target (beyond the ${limitBytes / 2 ** 20} MB bound for the script's directory): ${list(over)}`);
  return { include, warnings };
}

function list(items: string[]): string {
  return items.slice(0, 5).join(", ") + (items.length > 5 ? ` and ${items.length - 5} more` : "");
}
