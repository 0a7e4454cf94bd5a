import { causeLine, MemrayError } from "@alpiq/memray-core";

/** One line per container for "these are running" lists in error messages. */
export interface ContainerSummaryLine {
  name: string;
  id: string;
  image: string;
  state: string;
  service?: string | undefined;
  project?: string | undefined;
}

export function formatContainerList(containers: readonly ContainerSummaryLine[]): string {
  if (containers.length === 0) return "  (no containers are running)";
  return containers
    .map((c) => {
      const compose = c.service ? `  compose service ${c.project ? `${c.project}/` : ""}${c.service}` : "";
      return `  ${c.name}  ${c.id.slice(0, 12)}  ${c.image}${compose}`;
    })
    .join("\n");
}

/** No Docker engine answers at DOCKER_HOST (or the default socket), or DOCKER_HOST itself is unusable. */
export class EngineUnavailableError extends MemrayError {
  constructor(
    readonly endpoint: string,
    cause?: unknown,
    options: { message?: string; hint?: string } = {},
  ) {
    super("DOCKER_ENGINE_UNAVAILABLE", options.message ?? `No Docker engine answers at ${endpoint}${causeLine(cause) ? ` (${causeLine(cause)})` : ""}`, {
      cause,
      hint:
        options.hint ??
        "start one with `bash tools/docker-engine.sh` (or `sudo dockerd`), or point DOCKER_HOST at a running engine " +
          "(e.g. DOCKER_HOST=unix:///var/run/docker.sock); check with `docker info`",
    });
  }
}

/** Nothing matches the container the user named (name, id prefix or Compose service). */
export class ContainerNotFoundError extends MemrayError {
  constructor(
    readonly container: string,
    readonly running: readonly ContainerSummaryLine[],
  ) {
    super(
      "CONTAINER_NOT_FOUND",
      `No container matches "${container}" (by name, id prefix or Compose service). Running containers:\n${formatContainerList(running)}`,
      { hint: "pass one of the names above with --target, or start the stack (docker compose up -d)" },
    );
  }
}

/** The container exists but is not running (exited, created, paused, ...). */
export class ContainerNotRunningError extends MemrayError {
  constructor(
    readonly container: string,
    readonly state: string,
    readonly running: readonly ContainerSummaryLine[],
  ) {
    super("CONTAINER_NOT_RUNNING", `Container "${container}" is ${state}, not running. Running containers:\n${formatContainerList(running)}`, {
      hint: notRunningHint(container, state),
    });
  }
}

function notRunningHint(container: string, state: string): string {
  // A paused container keeps its processes: `docker start` refuses it, `docker unpause` resumes it.
  if (state === "paused") return `unpause it (docker unpause ${container}) or pick a running container with --target`;
  if (state === "restarting") return `it keeps restarting: check why (docker logs ${container}) or pick a running container with --target`;
  return `start it (docker start ${container}) or pick a running container with --target`;
}

/** More than one container matches and none is the obvious choice. */
export class AmbiguousContainerError extends MemrayError {
  constructor(
    readonly container: string,
    readonly candidates: readonly ContainerSummaryLine[],
  ) {
    super("CONTAINER_AMBIGUOUS", `"${container}" matches ${candidates.length} containers:\n${formatContainerList(candidates)}`);
  }
}

/**
 * The Engine API refused one container's logs or stats (gone, not running, server error). Not a
 * MemrayError: a signal never fails a run, the signals sidecar records the message in summary.json.
 */
export class ContainerSignalError extends Error {
  constructor(
    readonly collector: "container_logs" | "container_stats",
    readonly container: string,
    message: string,
    readonly statusCode: number | null = null,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ContainerSignalError";
  }
}
