import { LocalTarget, type SignalsSource, type Target } from "@alpiq/memray-core";
import type { TargetChoice } from "./profile-options.js";

export interface PortForward {
  hostPort: number;
  /** The host port asked for, when it was taken and `hostPort` was picked instead. */
  takenHostPort?: number | undefined;
  close(): Promise<void>;
}

/** A target ready for a session, with what was detected about it. */
export interface ResolvedTarget {
  target: Target;
  python: string;
  app: string | undefined;
  appDir: string | undefined;
  servicePort: number | undefined;
  /** The command that installs memray there, printed when it is missing. */
  memrayInstallHint: string;
  /** Expose a target port on 127.0.0.1 of the host (live modes on containers); a taken hostPort → another one. */
  forwardPort?: (targetPort: number, hostPort?: number) => Promise<PortForward>;
  /** What the target's runtime gives the signals (a container's Compose project, a pod's namespace); absent on this host: container signals are skipped. */
  signalsSource?: SignalsSource;
  dispose?: () => Promise<void>;
}

export interface TargetNeeds {
  python: string | undefined;
  app: string | undefined;
  /** required: the mode serves the app; optional: used when found (snapshot imports its module). */
  needApp: "required" | "optional" | "none";
  /** --port: the service's port when it cannot be detected. */
  port: number | undefined;
  /** The user's working directory (the app's import directory on this host). */
  cwd: string;
  /**
   * Called as soon as the target is known, before the interpreter, app and port are probed: what the
   * signals need of it, so their "before" readings start while the rest is resolved (providers may not call it).
   */
  onConnected?: (early: Pick<ResolvedTarget, "signalsSource">) => void;
}

export interface TargetProvider {
  resolve(choice: TargetChoice, needs: TargetNeeds): Promise<ResolvedTarget>;
}

/** The host: the interpreter is `--python` or python3 on PATH; the app is whatever --app names. */
export const localTargetProvider: TargetProvider = {
  async resolve(_choice, needs) {
    const python = needs.python ?? "python3";
    return {
      target: new LocalTarget(),
      python,
      app: needs.app,
      appDir: needs.app ? needs.cwd : undefined,
      servicePort: needs.port,
      memrayInstallHint: `${python} -m pip install memray`,
    };
  },
};
