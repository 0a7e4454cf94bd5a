import { listContainerRefs } from "@alpiq/memray-docker";
import type Docker from "dockerode";

/** Names of running containers, for the menu; empty when no engine answers. */
export async function runningContainerNames(docker: Docker): Promise<string[]> {
  try {
    return (await listContainerRefs(docker))
      .filter((ref) => ref.state === "running")
      .map((ref) => ref.name)
      .sort();
  } catch {
    return [];
  }
}
