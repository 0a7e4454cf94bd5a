import { MemrayError, type MemrayErrorOptions } from "../errors.js";
import { causeLine, formatArgv, indented } from "../message-parts.js";
import { describePlace, type TargetPlace } from "./target.js";

/** Options of the target errors: `detail` says why when no `cause` error does. */
export interface TargetErrorOptions extends MemrayErrorOptions {
  detail?: string | undefined;
}

/**
 * A command could not be run in the target (the runtime refused or lost the exec, the program name
 * was malformed), or a command memray-cli itself needs there (mktemp, mkdir, tar) failed. Not a
 * workload's own exit code, which `exec` returns.
 */
export class TargetExecError extends MemrayError {
  readonly commandExitCode: number | null;
  readonly stderrTail: string;

  constructor(
    readonly place: TargetPlace,
    readonly command: readonly string[],
    options: TargetErrorOptions & { commandExitCode?: number | null; stderrTail?: string } = {},
  ) {
    super("TARGET_EXEC_FAILED", `Could not run ${formatArgv(command)} in ${describePlace(place)}${why(options)}${indented(options.stderrTail)}`, {
      cause: options.cause,
      hint: options.hint ?? stillThereHint(place),
    });
    this.commandExitCode = options.commandExitCode ?? null;
    this.stderrTail = options.stderrTail ?? "";
  }
}

/** Copying files into or out of the target failed. */
export class TargetCopyError extends MemrayError {
  constructor(
    readonly direction: "in" | "out",
    readonly place: TargetPlace,
    readonly source: string,
    readonly destination: string,
    options: TargetErrorOptions = {},
  ) {
    const where = place.kind === "host" ? "" : `${place.name}:`;
    const what = direction === "in" ? `Could not copy ${source} into ${where}${destination}` : `Could not copy ${where}${source} to ${destination}`;
    super(direction === "in" ? "COPY_IN_FAILED" : "COPY_OUT_FAILED", `${what}${why(options)}`, { cause: options.cause, hint: options.hint });
  }
}

/**
 * Port forwarding failed: the host port could not be opened (`stage: "listen"`, thrown by
 * forwardPort), or one forwarded connection could not reach the port in the target (`stage:
 * "connect"`, reported through onError).
 */
export class PortForwardError extends MemrayError {
  constructor(
    readonly stage: "listen" | "connect",
    readonly hostPort: number,
    readonly targetPort: number,
    readonly place: TargetPlace,
    options: TargetErrorOptions = {},
  ) {
    const where = describePlace(place);
    super(
      "PORT_FORWARD_FAILED",
      stage === "listen"
        ? `Cannot listen on 127.0.0.1:${hostPort} to forward port ${targetPort} of ${where}${why(options, (detail) => ` (${detail})`)}`
        : `A connection to 127.0.0.1:${hostPort} could not be forwarded to port ${targetPort} in ${where}${why(options)}`,
      {
        cause: options.cause,
        hint: options.hint ?? (stage === "connect" ? `check the service listens on port ${targetPort} in the ${place.kind} (or pass --port N)` : undefined),
      },
    );
  }
}

/** Why it failed, for the end of a message: `options.detail`, else the cause's first line, as `: why`; "" when neither says. */
function why(options: TargetErrorOptions, format = (detail: string) => `: ${detail}`): string {
  const detail = options.detail ?? causeLine(options.cause);
  return detail ? format(detail) : "";
}

/** "check the container is still running (docker ps --filter name=X)". */
function stillThereHint(place: TargetPlace): string | undefined {
  if (place.kind === "host") return undefined;
  return `check the ${place.kind} is still running${place.checkCommand ? ` (${place.checkCommand})` : ""}`;
}
