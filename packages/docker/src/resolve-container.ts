import type Docker from "dockerode";
import createDebug from "debug";
import { describeDockerEndpoint } from "./docker-client.js";
import { AmbiguousContainerError, ContainerNotFoundError, ContainerNotRunningError, EngineUnavailableError, type ContainerSummaryLine } from "./errors.js";

const debug = createDebug("memray:docker");

export const COMPOSE_SERVICE_LABEL = "com.docker.compose.service";
export const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";
const COMPOSE_NUMBER_LABEL = "com.docker.compose.container-number";

export interface ContainerRef extends ContainerSummaryLine {
  labels: Record<string, string>;
}

export type MatchKind = "name" | "id" | "id-prefix" | "compose-service";

/**
 * Pick the container a user means from a list: exact name, then full id, then id prefix, then Compose
 * service (`service` or `project/service`, or `service` with `project` given). Among several Compose
 * replicas the running one with the lowest container number wins. Pure: the list comes from the engine.
 */
export function matchContainer(
  containers: readonly ContainerRef[],
  query: string,
  project?: string,
): { container: ContainerRef; by: MatchKind } | { ambiguous: ContainerRef[] } | null {
  const q = query.replace(/^\//, "");
  const byName = containers.find((c) => c.name === q);
  if (byName) return { container: byName, by: "name" };
  const byId = containers.find((c) => c.id === q);
  if (byId) return { container: byId, by: "id" };
  if (/^[0-9a-f]+$/i.test(q)) {
    const prefixed = containers.filter((c) => c.id.startsWith(q.toLowerCase()));
    if (prefixed.length === 1) return { container: prefixed[0]!, by: "id-prefix" };
    if (prefixed.length > 1) return { ambiguous: prefixed };
  }
  let service = q;
  let wantedProject = project;
  const slash = q.indexOf("/");
  if (slash > 0 && wantedProject === undefined) {
    wantedProject = q.slice(0, slash);
    service = q.slice(slash + 1);
  }
  const replicas = containers.filter((c) => c.service === service && (wantedProject === undefined || c.project === wantedProject));
  if (replicas.length === 0) return null;
  const projects = new Set(replicas.map((c) => c.project));
  if (projects.size > 1) return { ambiguous: replicas };
  const ordered = [...replicas].sort(
    (a, b) =>
      Number(b.state === "running") - Number(a.state === "running") ||
      Number(a.labels[COMPOSE_NUMBER_LABEL] ?? 0) - Number(b.labels[COMPOSE_NUMBER_LABEL] ?? 0),
  );
  return { container: ordered[0]!, by: "compose-service" };
}

/** `docker ps -a` as ContainerRefs; EngineUnavailableError when no engine answers. */
export async function listContainerRefs(docker: Docker): Promise<ContainerRef[]> {
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true });
  } catch (error) {
    throw new EngineUnavailableError(describeDockerEndpoint(docker), error);
  }
  return list.map((c) => {
    const labels = c.Labels ?? {};
    return {
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ""),
      id: c.Id,
      image: c.Image,
      state: c.State,
      service: labels[COMPOSE_SERVICE_LABEL],
      project: labels[COMPOSE_PROJECT_LABEL],
      labels,
    };
  });
}

export interface ResolveContainerOptions {
  docker: Docker;
  /** Container name, id (prefix) or Compose service (`service` or `project/service`). */
  container: string;
  /** Compose project to look the service up in. */
  project?: string;
}

/**
 * Find a running container; throws EngineUnavailableError, ContainerNotFoundError,
 * ContainerNotRunningError or AmbiguousContainerError (messages list the running containers).
 */
export async function resolveContainer(options: ResolveContainerOptions): Promise<Docker.ContainerInspectInfo> {
  const { docker, container: query, project } = options;
  const refs = await listContainerRefs(docker);
  const running = refs.filter((c) => c.state === "running");
  const match = matchContainer(refs, query, project);
  if (match === null) throw new ContainerNotFoundError(query, running);
  if ("ambiguous" in match) throw new AmbiguousContainerError(query, match.ambiguous);
  debug("%s resolved by %s to %s (%s)", query, match.by, match.container.name, match.container.id.slice(0, 12));
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(match.container.id).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) throw new ContainerNotFoundError(query, running);
    throw new EngineUnavailableError(describeDockerEndpoint(docker), error);
  }
  if (!info.State.Running || info.State.Paused) {
    const state = info.State.Paused ? "paused" : info.State.Status || match.container.state;
    throw new ContainerNotRunningError(match.container.name, state, running);
  }
  return info;
}
