import { packageVitestConfig } from "@alpiq/memray-test-support/vitest-config";

// Cluster tests (test/cluster/) run against tools/cluster/cluster (skipped locally when it is down, required in CI).
export default packageVitestConfig({ hookTimeout: 600_000, fileParallelism: false });
