/**
 * Where the profiled Python process runs. Implemented by LocalTarget (core), DockerTarget
 * (@alpiq/memray-docker) and KubernetesTarget (@alpiq/memray-kubernetes). Commands are argv arrays,
 * never shell strings.
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
}

export interface ExecResult {
  exitCode: number;
  /** The signal that ended the process, when the target can tell (SIGKILL, ...). */
  exitSignal?: string | undefined;
  stdout: string;
  stderr: string;
}

export interface Target {
  /** "local", "docker" or "kubernetes". */
  readonly kind: string;
  /** Human name for messages and summary.json (container name, or "local"). */
  readonly name: string;
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
  oomKills?(): Promise<number | null>;
  /**
   * Why the target itself went away, when it did (a pod deleted or restarted during the run: its
   * processes and files are gone); null while it is still there. Read when the harness ended abruptly.
   */
  lostReason?(): Promise<string | null>;
  /**
   * True when the target's filesystem is the host's (outputs can be written straight to the run
   * directory, no copy needed).
   */
  readonly sharesHostFilesystem: boolean;
}
