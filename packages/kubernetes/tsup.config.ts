import { defineConfig } from "tsup";
import { libraryBuild } from "../../tsup.base.js";

// Two entry points: the package, and `./provider` (recognising pod/NAME, deploy/NAME and -l without
// loading @kubernetes/client-node, for a CLI that must stay light when no pod is involved).
export default defineConfig({ ...libraryBuild, entry: ["src/index.ts", "src/pod-provider.ts"] });
