import { AppNotFoundError } from "../errors.js";
import { detectServiceApp, detectServicePort, findServicePython } from "../service/service-process.js";
import type { Target } from "./target.js";
import type { TargetConnection } from "./target-registry.js";

/** What a run needs to know of its target before it starts. */
export interface TargetNeeds {
  /** --python; default: the interpreter the service runs under (python3 on this host). */
  python?: string | undefined;
  /** --app; default: read from the service's command when the mode needs it. */
  app?: string | undefined;
  /** required: the mode serves the app; optional: used when found (snapshot imports its module). */
  needApp: "required" | "optional" | "none";
  /** --port: the service's port when it cannot be detected. */
  port?: number | undefined;
  /** The user's working directory: where an --app is imported from on this host. */
  cwd: string;
}

/** A target ready for a run, with what was detected of its service. */
export interface ResolvedTarget {
  target: Target;
  python: string;
  app: string | undefined;
  appDir: string | undefined;
  servicePort: number | undefined;
  /** The command that installs memray there, printed when it is missing. */
  memrayInstallHint: string;
  /** The server the app was read from (absent when --app named it, or nothing was detected). */
  appServer?: { server: string; interface: "wsgi" | "asgi" } | undefined;
}

/**
 * The interpreter, app and port of a connected target's service, the same way for every runtime:
 * what the user gave wins, the rest is read from the service's process (its command line, shebangs,
 * declared ports, names). On this host nothing is read: python3, and the app and port as given.
 */
export async function resolveTarget(connection: TargetConnection, needs: TargetNeeds): Promise<ResolvedTarget> {
  const { target } = connection;
  const service = await connection.service();
  if (!service) {
    const python = needs.python ?? "python3";
    return {
      target,
      python,
      memrayInstallHint: connection.installCommand(python),
      app: needs.app,
      appDir: needs.app ? needs.cwd : undefined,
      servicePort: needs.port,
    };
  }
  const python = needs.python ?? (await findServicePython(service));
  target.useInterpreter?.(python);
  let app = needs.app;
  let appDir: string | undefined;
  let appServer: ResolvedTarget["appServer"];
  if (app) {
    appDir = service.workingDir || "/";
  } else if (needs.needApp !== "none") {
    const detected = await detectServiceApp(service).catch((error: unknown) => {
      if (needs.needApp === "optional" && error instanceof AppNotFoundError) return undefined;
      throw error;
    });
    app = detected?.app;
    appDir = detected?.appDir;
    appServer = detected ? { server: detected.server, interface: detected.interface } : undefined;
  }
  // Best effort, for summary.target.service_port: the in-process server never needs it.
  const servicePort = detectServicePort(service, { portOverride: needs.port ?? null })?.port;
  return { target, python, memrayInstallHint: connection.installCommand(python), app, appDir, servicePort, appServer };
}
