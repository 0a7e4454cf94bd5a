import { packageVitestConfig } from "@alpiq/memray-test-support/vitest-config";

export default packageVitestConfig({ setupFiles: ["test/helpers/no-inherited-colour.ts"], testTimeout: 300_000, hookTimeout: 300_000 });
