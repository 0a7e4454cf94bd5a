import type Docker from "dockerode";

/** The part of a dockerode client signals use (tests pass the real one; it is never constructed here). */
export type SignalsDockerClient = Pick<Docker, "listContainers" | "getContainer" | "modem">;

/** The profiled container, as the docker package's `DockerTarget.info` (docker inspect) tells it. */
export interface SignalsTarget {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface ContainerPort {
  /** Host address it is published on ("" / null when not published). */
  ip: string | null;
  privatePort: number;
  publicPort: number | null;
  type: string;
}

/** A running container whose logs and stats are collected. */
export interface StackContainer {
  id: string;
  name: string;
  image: string;
  project: string | null;
  service: string | null;
  /** com.docker.compose.container-number (1 for the first replica). */
  number: number | null;
  oneoff: boolean;
  ports: ContainerPort[];
}

export const COMPOSE_PROJECT = "com.docker.compose.project";
const COMPOSE_SERVICE = "com.docker.compose.service";
const COMPOSE_NUMBER = "com.docker.compose.container-number";
const COMPOSE_ONEOFF = "com.docker.compose.oneoff";

export function composeProjectOf(labels: Record<string, string> | undefined): string | null {
  return labels?.[COMPOSE_PROJECT] || null;
}

function toStackContainer(info: Docker.ContainerInfo): StackContainer {
  const labels = info.Labels ?? {};
  const number = Number(labels[COMPOSE_NUMBER]);
  return {
    id: info.Id,
    name: (info.Names?.[0] ?? info.Id.slice(0, 12)).replace(/^\//, ""),
    image: info.Image,
    project: labels[COMPOSE_PROJECT] || null,
    service: labels[COMPOSE_SERVICE] || null,
    number: Number.isInteger(number) && number > 0 ? number : null,
    oneoff: (labels[COMPOSE_ONEOFF] ?? "").toLowerCase() === "true",
    ports: (info.Ports ?? []).map((port) => ({
      ip: port.IP || null,
      privatePort: port.PrivatePort,
      publicPort: port.PublicPort || null,
      type: port.Type,
    })),
  };
}

/**
 * The running containers whose signals a run collects: those of the target's Compose project, or every
 * running container when the target belongs to none. Sorted by name; the target is always included.
 */
export async function discoverStackContainers(docker: SignalsDockerClient, target: SignalsTarget, signal?: AbortSignal): Promise<StackContainer[]> {
  const project = composeProjectOf(target.labels);
  const filters: Record<string, string[]> = { status: ["running"] };
  if (project) filters.label = [`${COMPOSE_PROJECT}=${project}`];
  const infos = await docker.listContainers({ all: false, filters, ...(signal ? { abortSignal: signal } : {}) });
  const containers = infos.map(toStackContainer);
  if (!containers.some((container) => container.id === target.id)) {
    containers.push({
      id: target.id,
      name: target.name,
      image: "",
      project,
      service: target.labels[COMPOSE_SERVICE] || null,
      number: null,
      oneoff: false,
      ports: [],
    });
  }
  return containers.sort((a, b) => a.name.localeCompare(b.name));
}

const unsafe = /[^A-Za-z0-9._-]+/g;

/**
 * `logs-<project>-<service>.txt` for a Compose container (`logs-local-forecast.txt`; replica n > 1 adds
 * `-n`), `logs-<container>.txt` otherwise (and for one-off `compose run` containers).
 */
export function logFileName(container: StackContainer): string {
  const base =
    container.project && container.service && !container.oneoff
      ? `${container.project}-${container.service}${container.number && container.number > 1 ? `-${container.number}` : ""}`
      : container.name;
  return `logs-${base.replace(unsafe, "_")}.txt`;
}

/** File names for each container, unique even when two containers map to the same name. */
export function logFileNames(containers: readonly StackContainer[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const container of containers) {
    let file = logFileName(container);
    if (used.has(file)) file = file.replace(/\.txt$/, `-${container.id.slice(0, 12)}.txt`);
    used.add(file);
    names.set(container.id, file);
  }
  return names;
}

/** Where WireMock listens: a published port on the host's loopback, or a container port to forward. */
export interface WireMockLocation {
  container: StackContainer;
  /** `http://127.0.0.1:<published port>` when published on loopback or all interfaces; else null. */
  url: string | null;
  /** The port inside the container (for an exec port forward when nothing is published). */
  containerPort: number;
}

const WIREMOCK_PORT = 8080;
const LOOPBACK_REACHABLE = new Set(["127.0.0.1", "0.0.0.0", "::", "::1"]);

/** The project's WireMock: a running container whose service or image name says wiremock. */
export function findWireMock(containers: readonly StackContainer[]): WireMockLocation | null {
  const candidates = containers.filter((c) => /wiremock/i.test(c.service ?? "") || /wiremock/i.test(c.image));
  const container = candidates.find((c) => c.service?.toLowerCase() === "wiremock") ?? candidates[0];
  if (!container) return null;
  const tcp = container.ports.filter((port) => port.type === "tcp");
  const published = tcp.filter((port) => port.publicPort && LOOPBACK_REACHABLE.has(port.ip ?? ""));
  const chosen = published.find((port) => port.privatePort === WIREMOCK_PORT) ?? published[0];
  const containerPort = chosen?.privatePort ?? tcp.find((port) => port.privatePort === WIREMOCK_PORT)?.privatePort ?? tcp[0]?.privatePort ?? WIREMOCK_PORT;
  return { container, url: chosen ? `http://127.0.0.1:${chosen.publicPort}` : null, containerPort };
}
