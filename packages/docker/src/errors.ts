import { ExitCode, MemrayError, type MemrayErrorOptions } from "@alpiq/memray-core";

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

/** No Docker engine answers at DOCKER_HOST (or the default socket). */
export class EngineUnavailableError extends MemrayError {
  constructor(readonly endpoint: string, cause?: unknown) {
    const why = cause instanceof Error ? ` (${cause.message.trim()})` : "";
    super("DOCKER_ENGINE_UNAVAILABLE", ExitCode.Environment, `No Docker engine answers at ${endpoint}${why}`, {
      cause,
      hint:
        "start one with `bash tools/docker-engine.sh` (or `sudo dockerd`), or point DOCKER_HOST at a running engine " +
        "(e.g. DOCKER_HOST=unix:///var/run/docker.sock); check with `docker info`",
    });
  }
}

/** Nothing matches the container the user named (name, id prefix or Compose service). */
export class ContainerNotFoundError extends MemrayError {
  constructor(readonly container: string, readonly running: readonly ContainerSummaryLine[]) {
    super(
      "CONTAINER_NOT_FOUND",
      ExitCode.Environment,
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
    super(
      "CONTAINER_NOT_RUNNING",
      ExitCode.Environment,
      `Container "${container}" is ${state}, not running. Running containers:\n${formatContainerList(running)}`,
      { hint: `start it (docker start ${container}) or pick a running container with --target` },
    );
  }
}

/** More than one container matches and none is the obvious choice. */
export class AmbiguousContainerError extends MemrayError {
  constructor(readonly container: string, readonly candidates: readonly ContainerSummaryLine[]) {
    super(
      "CONTAINER_AMBIGUOUS",
      ExitCode.Usage,
      `"${container}" matches ${candidates.length} containers:\n${formatContainerList(candidates)}`,
      { hint: "pass the full container name or a longer id prefix with --target" },
    );
  }
}

/** The service port cannot be told from the container's name, ports or command. */
export class PortNotDetectableError extends MemrayError {
  constructor(readonly container: string, readonly candidates: readonly number[]) {
    const seen = candidates.length === 0 ? "it exposes no TCP port" : `it exposes ${candidates.join(", ")}`;
    super("PORT_NOT_DETECTABLE", ExitCode.Usage, `Cannot tell the service port of container "${container}": ${seen}`, {
      hint: "pass the port the service listens on inside the container with --port N",
    });
  }
}

/** The container's command line names no WSGI app we can recognise. */
export class AppNotFoundError extends MemrayError {
  constructor(readonly container: string, readonly command: readonly string[]) {
    super(
      "APP_NOT_FOUND",
      ExitCode.Usage,
      `Cannot find the WSGI app in the command of container "${container}": ${JSON.stringify(command)}`,
      {
        hint: "pass it with --app module:attr (or module:create_app() for a factory); recognised commands are waitress-serve, gunicorn and flask --app",
      },
    );
  }
}

/** A Docker API call of an exec (create/start/inspect) failed; not the command's own exit code. */
export class DockerExecError extends MemrayError {
  constructor(readonly container: string, readonly command: readonly string[], cause?: unknown, options: MemrayErrorOptions = {}) {
    const why = cause instanceof Error ? `: ${cause.message.trim()}` : "";
    super("DOCKER_EXEC_FAILED", ExitCode.Environment, `Could not run ${JSON.stringify(command)} in container "${container}"${why}`, {
      cause,
      hint: options.hint ?? `check the container is still running (docker ps --filter name=${container})`,
    });
  }
}

/** Copying files into or out of the container failed. */
export class CopyFailedError extends MemrayError {
  constructor(
    readonly direction: "in" | "out",
    readonly container: string,
    readonly source: string,
    readonly destination: string,
    cause?: unknown,
    hint?: string,
  ) {
    const why = cause instanceof Error ? `: ${cause.message.trim()}` : "";
    const what =
      direction === "in"
        ? `Could not copy ${source} into ${container}:${destination}`
        : `Could not copy ${container}:${source} to ${destination}`;
    super(direction === "in" ? "COPY_IN_FAILED" : "COPY_OUT_FAILED", ExitCode.Environment, `${what}${why}`, {
      cause,
      hint: hint ?? "check the path exists, the disk has room, and the container is still running",
    });
  }
}

/** A host port could not be opened for forwarding. */
export class PortForwardError extends MemrayError {
  constructor(readonly hostPort: number, readonly containerPort: number, cause?: unknown) {
    const why = cause instanceof Error ? ` (${cause.message.trim()})` : "";
    super(
      "PORT_FORWARD_FAILED",
      ExitCode.Environment,
      `Cannot listen on 127.0.0.1:${hostPort} to forward container port ${containerPort}${why}`,
      { cause, hint: "free the port (ss -ltnp) or choose another host port" },
    );
  }
}

/** memray could not be installed (or verified) in the container. */
export class InstallFailedError extends MemrayError {
  constructor(
    message: string,
    readonly container: string,
    readonly command: readonly string[],
    readonly commandExitCode: number | null,
    readonly stderrTail: string,
    options: MemrayErrorOptions = {},
  ) {
    super("INSTALL_FAILED", ExitCode.Environment, stderrTail ? `${message}\n${indent(stderrTail)}` : message, options);
  }
}

/** `pip download` on the host failed while building a wheelhouse. */
export class WheelhouseBuildError extends MemrayError {
  constructor(readonly command: readonly string[], readonly commandExitCode: number | null, readonly stderrTail: string, cause?: unknown) {
    super(
      "WHEELHOUSE_BUILD_FAILED",
      ExitCode.Environment,
      `Building the wheelhouse failed: ${command.join(" ")} exited ${commandExitCode ?? "abnormally"}${stderrTail ? `\n${indent(stderrTail)}` : ""}`,
      { cause, hint: "check pip works on the host (python3 -m pip --version) and that the package index is reachable" },
    );
  }
}

/** Last lines of a command's output for error messages. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
