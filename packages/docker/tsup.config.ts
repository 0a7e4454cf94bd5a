import { defineConfig } from "tsup";
import { libraryBuild } from "../../tsup.base.js";

// Two entry points: the package, and `./provider` (recognising a container --target without loading
// dockerode, for a CLI that must stay light when no container is involved).
export default defineConfig({ ...libraryBuild, entry: ["src/index.ts", "src/docker-provider.ts"] });
