/**
 * Where the profiled Python process runs: this host, a Docker container, a Kubernetes pod. One
 * interface; TargetBase implements what every runtime shares over `exec`, a runtime supplies exec,
 * archive in/out and port forwarding. Commands are argv arrays, never shell strings.
 */
export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Streamed output chunks (UTF-8, a character never cut). A returned promise is backpressure: the
   * target reads no more of that stream until it settles.
   */
  onStdout?: (chunk: string) => void | Promise<void>;
  onStderr?: (chunk: string) => void | Promise<void>;
  /** false: the result's stdout/stderr stay empty (long output is consumed through the callbacks). */
  buffer?: boolean;
  /** Stops the process at once (it cannot finish its work): the hard stop after Ctrl-C. */
  signal?: AbortSignal;
  /** Text written to the process's standard input, then closed. */
  input?: string;
  /**
   * Standard input is a pipe held open, never written, until the process ends: it reads end-of-file only
   * once this process (the host) is gone. The harness watches it to notice a host that went away. Only
   * targets with `holdsStdin` do this; the others ignore it.
   */
  holdStdin?: boolean;
}

export interface ExecResult {
  exitCode: number;
  /** The signal that ended the process, when the target can tell (SIGKILL, ...). */
  exitSignal?: string | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Where a target is, for messages: every error about a target says where it happened and how to
 * look there yourself.
 */
export interface TargetPlace {
  /** What kind of place: "host", "container", "pod". */
  readonly kind: string;
  /** Its name: `local-forecast-1`, `default/forecast-5d5c9-xnnct (container app)`, `this host`. */
  readonly name: string;
  /** The argv prefix that runs a command there by hand (`docker exec NAME`, `kubectl exec -n NS POD --`); empty on this host. */
  readonly execPrefix: readonly string[];
  /** A command that shows whether it is still there (`docker ps --filter name=NAME`), when there is one. */
  readonly checkCommand?: string | undefined;
}

/** `container "local-forecast-1"`, `pod default/forecast-… (container app)`, `this host`. */
export function describePlace(place: TargetPlace): string {
  return place.kind === "host" ? place.name : `${place.kind} ${place.kind === "container" ? `"${place.name}"` : place.name}`;
}

/** A port of the target reachable on the host's 127.0.0.1. */
export interface PortForward {
  /** The host port actually listening on 127.0.0.1. */
  readonly hostPort: number;
  /** The host port asked for, when it was taken and `hostPort` was picked instead (ifTaken "any"). */
  readonly takenHostPort?: number | undefined;
  /** The port in the target. */
  readonly targetPort: number;
  /** Stop listening and drop every open connection. */
  close(): Promise<void>;
}

export interface ForwardPortOptions {
  /** Port on host 127.0.0.1; 0 or omitted picks a free one. */
  hostPort?: number | undefined;
  /** When `hostPort` is taken: "fail" (default) throws PortForwardError; "any" listens on a free port instead. */
  ifTaken?: "fail" | "any";
  /** Failures of single connections (nothing listens in the target, the runtime refused); never thrown. */
  onError?: (error: Error) => void;
}

export interface Target {
  /** "local", "docker" or "kubernetes" (summary.json's target.kind). */
  readonly kind: string;
  /** Human name for messages and summary.json (container name, `namespace/pod`, or "local"). */
  readonly name: string;
  /** Where it is, for messages. */
  readonly place: TargetPlace;
  /**
   * True when the target's filesystem is the host's (outputs can be written straight to the run
   * directory, no copy needed).
   */
  readonly sharesHostFilesystem: boolean;
  /** Whether exec honours `holdStdin` (a pipe to the process's stdin that closes only with this process). */
  readonly holdsStdin?: boolean;
  /** Run argv in the target; resolves with the exit code (non-zero is not an error). */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Copy a host file or directory to `targetDir` (created); the basename is kept. `include`, when
   * given, lists the paths (relative to hostPath's parent) that travel; anything else stays.
   */
  copyIn(hostPath: string, targetDir: string, options?: { include?: ReadonlySet<string> }): Promise<void>;
  /** Copy a target directory's contents into `hostDir` (created). */
  copyOut(targetDir: string, hostDir: string): Promise<void>;
  /** A scratch directory in the target for staging the harness and its output. */
  scratchDir(): Promise<string>;
  /**
   * How many processes the kernel's OOM killer has killed where the target's processes live (the
   * host, or the container's memory cgroup); null when the target cannot tell. Read before and after
   * a run: an increase is the only evidence that a killed process ran out of memory.
   */
  oomKills(): Promise<number | null>;
  /**
   * Why the target itself went away, when it did (a pod deleted or restarted during the run: its
   * processes and files are gone); null while it is still there. Read when the harness ended abruptly.
   */
  lostReason?(): Promise<string | null>;
  /** Expose a port of the target on the host's 127.0.0.1 (absent on this host: its ports are already there). */
  forwardPort?(targetPort: number, options?: ForwardPortOptions): Promise<PortForward>;
  /**
   * The interpreter the service runs under, once it is known: the target's own helpers (a port relay,
   * a tar fallback) run under it.
   */
  useInterpreter?(python: string): void;
}
