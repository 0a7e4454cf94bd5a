import { packageVitestConfig } from "@alpiq/memray-test-support/vitest-config";

export default packageVitestConfig();
