import { packageVitestConfig } from "@alpiq/memray-test-support/vitest-config";

export default packageVitestConfig({ hookTimeout: 600_000 });
