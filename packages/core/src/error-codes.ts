import { ExitCode, type ExitCodeValue } from "./exit-codes.js";

export interface ErrorCodeRule {
  /** The process exit code a CLI uses for this failure. */
  exitCode: ExitCodeValue;
  /** One line: what the user can do about it (a specific error may give a more precise hint). */
  hint: string;
}

/**
 * Every error code of the memray-* packages and of the Python harness, with its exit code and a
 * generic hint. The harness reads the same table from the generated contract.json, so a code is
 * defined here once and nowhere else.
 */
export const ERROR_CODES = {
  // Bad usage or input (2)
  INVALID_OPTION: { exitCode: ExitCode.Usage, hint: "check the option's value against `memray-cli <command> --help`" },
  SCRIPT_NOT_FOUND: { exitCode: ExitCode.Usage, hint: "pass the path of a .py file, e.g. --script test-cases/example-sequential-requests.py" },
  OUTPUT_NOT_WRITABLE: { exitCode: ExitCode.Usage, hint: "choose a writable directory with --out DIR" },
  INVALID_CONFIG: { exitCode: ExitCode.Usage, hint: "config.json is written by memray-cli; regenerate it rather than editing it" },
  APP_IMPORT_FAILED: {
    exitCode: ExitCode.Usage,
    hint: "check --app module:attr names an importable WSGI or ASGI app (and that an ASGI app's startup succeeds)",
  },
  APP_NOT_FOUND: { exitCode: ExitCode.Usage, hint: "pass the WSGI or ASGI app with --app module:attr" },
  APP_INTERFACE_UNKNOWN: {
    exitCode: ExitCode.Usage,
    hint: "pass a WSGI app, app(environ, start_response), or an ASGI 3 app, async app(scope, receive, send), with --app module:attr (module:factory() calls a factory)",
  },
  ENDPOINT_REQUIRED: {
    exitCode: ExitCode.Usage,
    hint: "name the path to profile with --endpoint PATH (-e endpoint_path=PATH), one of the app's routes listed above",
  },
  PORT_NOT_DETECTABLE: { exitCode: ExitCode.Usage, hint: "pass the port the service listens on with --port N" },
  CONTAINER_AMBIGUOUS: { exitCode: ExitCode.Usage, hint: "pass the full container name or a longer id prefix with --target" },
  INVALID_SUMMARY: { exitCode: ExitCode.Usage, hint: "pass a run directory written by memray-cli" },
  INVALID_RUN_DATA: { exitCode: ExitCode.Usage, hint: "regenerate the run, or delete the malformed file to compare without it" },
  RUN_NOT_FOUND: { exitCode: ExitCode.Usage, hint: "pass a run directory (runs/<name>-<timestamp>/) or its summary.json" },
  SUMMARY_NOT_FOUND: { exitCode: ExitCode.Usage, hint: "pass a directory written by `memray-cli profile`" },
  RUN_UNREADABLE: { exitCode: ExitCode.Usage, hint: "check the file's permissions" },
  INVALID_THRESHOLD: { exitCode: ExitCode.Usage, hint: "use --threshold 20 or --threshold rss_delta=30" },
  DEBUG_BUILD_SOURCE_INVALID: { exitCode: ExitCode.Usage, hint: "pass the directory of a maturin/PyO3 project (pyproject.toml and Cargo.toml) with --source" },
  NOT_RECOVERABLE: {
    exitCode: ExitCode.Usage,
    hint: "`memray-cli recover` takes a run directory whose run did not finish: session.bin with no summary.json, or a summary with HOST_LOST or REPORTS_MISSING",
  },
  WHEEL_INVALID: { exitCode: ExitCode.Usage, hint: "pass a .whl file built by maturin (a zip holding the extension module)" },
  // The workload (or the build) ran and failed (1)
  WORKLOAD_FAILED: { exitCode: ExitCode.WorkloadFailed, hint: "see error_details in summary.json and harness.log in the run directory" },
  WORKLOAD_TIMEOUT: {
    exitCode: ExitCode.WorkloadFailed,
    hint: "the workload ran past --timeout and was stopped (the reports cover what ran until then): raise --timeout, or profile a shorter workload",
  },
  DEBUG_BUILD_FAILED: { exitCode: ExitCode.WorkloadFailed, hint: "read build.log next to the wheel; the cache was left untouched" },
  DEBUG_INFO_MISSING: {
    exitCode: ExitCode.WorkloadFailed,
    hint: "build with CARGO_PROFILE_RELEASE_DEBUG=2 (memray-cli debug-build does): without .debug_info memray shows Rust frames as bare addresses",
  },
  // Stopped by the user (130, 143): the run directory holds everything measured until then
  INTERRUPTED: { exitCode: ExitCode.Interrupted, hint: "the run directory holds what was measured until Ctrl-C; run again to profile the whole workload" },
  TERMINATED: {
    exitCode: ExitCode.Terminated,
    hint: "the run directory holds what was measured until SIGTERM; run again (or raise the timeout) to profile the whole workload",
  },
  // The target or its environment is unusable (3)
  PYTHON_TOO_OLD: { exitCode: ExitCode.Environment, hint: "memray needs CPython >= 3.9: pass a newer interpreter with --python" },
  CAPTURE_LOST: {
    exitCode: ExitCode.Environment,
    hint: "session.bin was deleted or cannot be read: check nothing else writes into the run directory, and the disk",
  },
  REPORTS_MISSING: {
    exitCode: ExitCode.Environment,
    hint: "the report engine died or failed (killed, out of memory, a memray error): see the warnings and harness.log; `memray-cli recover RUN_DIR` makes them again from session.bin",
  },
  DISK_FULL: { exitCode: ExitCode.Environment, hint: "free space on the run directory's disk, or choose another with --out DIR" },
  PYTHON_NOT_FOUND: { exitCode: ExitCode.Environment, hint: "install Python >= 3.9 or pass the interpreter with --python PATH" },
  MEMRAY_NOT_INSTALLED: { exitCode: ExitCode.Environment, hint: "install memray into the target's Python (memray-cli install --target C)" },
  HARNESS_NOT_FOUND: {
    exitCode: ExitCode.Environment,
    hint: "reinstall @alpiq/memray-core, or set MEMRAY_HARNESS_DIR to the directory holding memray_harness",
  },
  HARNESS_KILLED: { exitCode: ExitCode.Environment, hint: "artifacts produced so far are kept in the run directory; check the target and run again" },
  HOST_LOST: {
    exitCode: ExitCode.Environment,
    hint: "memray-cli went away during the run (killed, its terminal closed): the harness finished it on its own; `memray-cli recover RUN_DIR` completes it (index.html)",
  },
  RUN_STILL_FINISHING: {
    exitCode: ExitCode.Environment,
    hint: "its harness is still finishing the run in the target (the reports of a large capture take a while): run `memray-cli recover RUN_DIR` again later; `memray-cli runs list` lists it until then",
  },
  HARNESS_FAILED: { exitCode: ExitCode.Environment, hint: "this is a bug in memray-cli's harness: see harness.log and report it" },
  COPY_IN_FAILED: { exitCode: ExitCode.Environment, hint: "check the path exists, the disk has room, and the container is still running" },
  COPY_OUT_FAILED: { exitCode: ExitCode.Environment, hint: "check the target is still running; artifacts copied so far are kept" },
  DOCKER_ENGINE_UNAVAILABLE: { exitCode: ExitCode.Environment, hint: "start an engine (bash tools/docker-engine.sh) or point DOCKER_HOST at one" },
  CONTAINER_NOT_FOUND: { exitCode: ExitCode.Environment, hint: "pass a running container's name with --target, or start the stack" },
  CONTAINER_NOT_RUNNING: { exitCode: ExitCode.Environment, hint: "start the container, or pick a running one with --target" },
  TARGET_EXEC_FAILED: { exitCode: ExitCode.Environment, hint: "check the target is still running (docker ps, kubectl get pods)" },
  KUBERNETES_UNAVAILABLE: { exitCode: ExitCode.Environment, hint: "check the cluster answers (kubectl cluster-info) and that KUBECONFIG / --context name it" },
  KUBERNETES_FORBIDDEN: {
    exitCode: ExitCode.Environment,
    hint: "grant the permission named above (a Role with that verb on that resource), or use a kubeconfig / --context that has it",
  },
  POD_NOT_FOUND: { exitCode: ExitCode.Environment, hint: "pass a running pod with --target pod/NAME, deploy/NAME or -l SELECTOR (and --namespace)" },
  POD_NOT_READY: { exitCode: ExitCode.Environment, hint: "wait until the pod is Ready (kubectl get pods -w), or pick another with --target" },
  ATTACH_NO_PROCESS: {
    exitCode: ExitCode.Environment,
    hint: "check the service runs (its Python processes are listed above), or pick its processes with --pid",
  },
  ATTACH_PTRACE_DENIED: {
    exitCode: ExitCode.Environment,
    hint: "give the container SYS_PTRACE (Compose: cap_add: [SYS_PTRACE]; a pod: securityContext.capabilities.add: [SYS_PTRACE]), or start the service with the agent (MEMRAY_CLI_AGENT=1)",
  },
  ATTACH_DEBUGGER_MISSING: {
    exitCode: ExitCode.Environment,
    hint: "install gdb in the target (memray-cli install --target C --attach), or start the service with the agent (MEMRAY_CLI_AGENT=1)",
  },
  ATTACH_DEBUGGER_FAILED: {
    exitCode: ExitCode.Environment,
    hint: "use a gdb that works on this kernel (Debian trixie's gdb 16 does; bookworm's gdb 13 does not), or start the service with the agent (MEMRAY_CLI_AGENT=1)",
  },
  ATTACH_EMULATED: {
    exitCode: ExitCode.Environment,
    hint: "the service runs under CPU emulation (Rosetta, QEMU), where debuggers cannot attach: use the Tracker modes (endpoint, sequence, leaks) or the agent",
  },
  ATTACH_UNSUPPORTED_INTERPRETER: {
    exitCode: ExitCode.Environment,
    hint: "attach needs a dynamically linked glibc CPython; use the Tracker modes (endpoint, sequence, leaks) or the agent",
  },
  PORT_FORWARD_FAILED: { exitCode: ExitCode.Environment, hint: "free the port (ss -ltnp) or choose another host port" },
  REQUIREMENTS_INSTALL_FAILED: {
    exitCode: ExitCode.Environment,
    hint: "check the requirements.txt beside the script, and that the target reaches the package index",
  },
  INSTALL_FAILED: { exitCode: ExitCode.Environment, hint: "check the container reaches the package index, or install offline with --wheelhouse DIR" },
  WHEELHOUSE_BUILD_FAILED: { exitCode: ExitCode.Environment, hint: "check pip works on the host and the package index is reachable" },
  BASE_IMAGE_UNAVAILABLE: {
    exitCode: ExitCode.Environment,
    hint: "build or load the base image locally (tools/images/rust-base.sh builds memray-rust-base:bookworm), or pass --base-image",
  },
  UNEXPECTED: { exitCode: ExitCode.Environment, hint: "run again with --verbose to see the cause chain, and report it" },
} as const satisfies Record<string, ErrorCodeRule>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}
