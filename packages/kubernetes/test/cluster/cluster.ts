import { clusterEnv, clusterReady } from "@alpiq/memray-test-support/cluster";
import { createKubeClient, type KubeClient } from "../../src/index.js";

/**
 * The local cluster of tools/cluster (`tools/cluster/cluster up`; tools/test.sh brings it up and takes
 * it down): skipped locally without it, an error in CI. The helpers shared with packages/cli (kubectl,
 * throwaway Deployments, restricted kubeconfigs, the wheelhouse) are @alpiq/memray-test-support/cluster.
 */

/** The admin client of the local cluster, or null (with a warning; an error in CI) when it is not up. */
export function clusterClient(): KubeClient | null {
  return clusterReady() ? createKubeClient({ env: clusterEnv }) : null;
}
