import { MemrayError, type MemrayErrorOptions } from "@alpiq/memray-core";

/** One line per container for "these are running" lists in error messages. */
export interface ContainerSummaryLine {
  name: string;
  id: string;
  image: string;
  state: string;
  service?: string | undefined;
  project?: string | undefined;
}

/** Options shared by this package's errors: `detail` says why when no `cause` error does. */
export interface DockerErrorOptions extends MemrayErrorOptions {
  detail?: string;
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
    super("DOCKER_ENGINE_UNAVAILABLE", options.message ?? `No Docker engine answers at ${endpoint}${why(cause, " (", ")")}`, {
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
  constructor(readonly container: string, readonly running: readonly ContainerSummaryLine[]) {
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
  constructor(readonly container: string, readonly candidates: readonly ContainerSummaryLine[]) {
    super("CONTAINER_AMBIGUOUS", `"${container}" matches ${candidates.length} containers:\n${formatContainerList(candidates)}`);
  }
}

/** The service port cannot be told from the container's name, ports or command. */
export class PortNotDetectableError extends MemrayError {
  constructor(readonly container: string, readonly candidates: readonly number[]) {
    const seen = candidates.length === 0 ? "it exposes no TCP port" : `it exposes ${candidates.join(", ")}`;
    super("PORT_NOT_DETECTABLE", `Cannot tell the service port of container "${container}": ${seen}`, {
      hint: "pass the port the service listens on inside the container with --port N",
    });
  }
}

/** The container's command line names no WSGI app we can recognise. */
export class AppNotFoundError extends MemrayError {
  constructor(readonly container: string, readonly command: readonly string[]) {
    super("APP_NOT_FOUND", `Cannot find the WSGI app in the command of container "${container}": ${JSON.stringify(command)}`, {
      hint: "pass it with --app module:attr (or module:create_app() for a factory); recognised commands are waitress-serve, gunicorn and flask --app",
    });
  }
}

/**
 * A `docker exec` could not be run (create/start/inspect failed), or a command this package needs
 * (mktemp, ...) failed; not a workload's own exit code, which exec() returns.
 */
export class DockerExecError extends MemrayError {
  readonly commandExitCode: number | null;
  readonly stderrTail: string;

  constructor(
    readonly container: string,
    readonly command: readonly string[],
    options: DockerErrorOptions & { commandExitCode?: number | null; stderrTail?: string } = {},
  ) {
    const detail = options.detail ?? why(options.cause);
    super("DOCKER_EXEC_FAILED", `Could not run ${formatArgv(command)} in container "${container}"${detail ? `: ${detail}` : ""}${indented(options.stderrTail)}`, {
      cause: options.cause,
      hint: options.hint ?? `check the container is still running (docker ps --filter name=${container})`,
    });
    this.commandExitCode = options.commandExitCode ?? null;
    this.stderrTail = options.stderrTail ?? "";
  }
}

/** Copying files into or out of the container failed. */
export class CopyFailedError extends MemrayError {
  constructor(
    readonly direction: "in" | "out",
    readonly container: string,
    readonly source: string,
    readonly destination: string,
    options: DockerErrorOptions = {},
  ) {
    const detail = options.detail ?? why(options.cause);
    const what =
      direction === "in"
        ? `Could not copy ${source} into ${container}:${destination}`
        : `Could not copy ${container}:${source} to ${destination}`;
    super(direction === "in" ? "COPY_IN_FAILED" : "COPY_OUT_FAILED", `${what}${detail ? `: ${detail}` : ""}`, {
      cause: options.cause,
      hint: options.hint,
    });
  }
}

/**
 * Port forwarding failed: the host port could not be opened (`stage: "listen"`, thrown by
 * forwardPort), or one forwarded connection could not reach the port in the container
 * (`stage: "connect"`, reported through onError).
 */
export class PortForwardError extends MemrayError {
  constructor(
    readonly stage: "listen" | "connect",
    readonly hostPort: number,
    readonly containerPort: number,
    readonly container: string,
    options: DockerErrorOptions = {},
  ) {
    const detail = options.detail ?? why(options.cause);
    super(
      "PORT_FORWARD_FAILED",
      stage === "listen"
        ? `Cannot listen on 127.0.0.1:${hostPort} to forward port ${containerPort} of container "${container}"${detail ? ` (${detail})` : ""}`
        : `A connection to 127.0.0.1:${hostPort} could not be forwarded to port ${containerPort} in container "${container}"${detail ? `: ${detail}` : ""}`,
      {
        cause: options.cause,
        hint: options.hint ?? (stage === "connect" ? `check the service listens on port ${containerPort} inside the container (or pass --port N)` : undefined),
      },
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
    super("INSTALL_FAILED", `${message}${indented(stderrTail)}`, options);
  }
}

/** `pip download` on the host failed while building a wheelhouse. */
export class WheelhouseBuildError extends MemrayError {
  constructor(
    readonly command: readonly string[],
    readonly commandExitCode: number | null,
    readonly stderrTail: string,
    options: DockerErrorOptions = {},
  ) {
    const detail = options.detail ?? `${formatArgv(command)} exited ${commandExitCode ?? "abnormally"}`;
    super("WHEELHOUSE_BUILD_FAILED", `Building the wheelhouse failed: ${detail}${indented(stderrTail)}`, {
      cause: options.cause,
      hint: options.hint ?? "check pip works on the host (python3 -m pip --version) and that the package index is reachable",
    });
  }
}


/** argv for messages: long arguments (inline scripts) are shortened. */
function formatArgv(argv: readonly string[]): string {
  return JSON.stringify(argv.map((arg) => (arg.length > 80 ? `${arg.slice(0, 60).replace(/\s+/g, " ")}…` : arg)));
}

/** The first line of a cause's message, with a prefix and suffix, or "". */
function why(cause: unknown, prefix = "", suffix = ""): string {
  const message = cause instanceof Error ? cause.message.trim().split("\n")[0] : "";
  return message ? `${prefix}${message}${suffix}` : "";
}

function indented(text: string | undefined): string {
  if (!text) return "";
  return `\n${text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}`;
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
