import path from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout's root directory (this file is packages/test-support/src/repo-root.ts). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
