/**
 * Where the profiled Python process runs. Implemented by LocalTarget (core) and DockerTarget
 * (@alpiq/memray-docker). Commands are argv arrays, never shell strings.
 */
export interface ExecOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Streamed output chunks (decoded as UTF-8). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  signal?: AbortSignal;
  /** Text written to the process's standard input, then closed. */
  input?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Target {
  /** "local" or "docker". */
  readonly kind: string;
  /** Human name for messages and summary.json (container name, or "local"). */
  readonly name: string;
  /** Run argv in the target; resolves with the exit code (non-zero is not an error). */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Copy a host file or directory to `targetDir` (created); the basename is kept. */
  copyIn(hostPath: string, targetDir: string): Promise<void>;
  /** Copy a target directory's contents into `hostDir` (created). */
  copyOut(targetDir: string, hostDir: string): Promise<void>;
  /** A scratch directory in the target for staging the harness and its output. */
  scratchDir(): Promise<string>;
  /**
   * True when the target's filesystem is the host's (outputs can be written straight to the run
   * directory, no copy needed).
   */
  readonly sharesHostFilesystem: boolean;
}
