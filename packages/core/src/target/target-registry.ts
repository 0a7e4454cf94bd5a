import { InvalidOptionError } from "../errors.js";
import type { ServiceProcess } from "../service/service-process.js";
import type { SignalsSource } from "../signals-source.js";
import type { Target } from "./target.js";

/** How the user names a target: `--target`, `--local` and the flags some runtimes add (Kubernetes). */
export interface TargetSpec {
  /** A container (name, id prefix, Compose `project/service`), `pod/NAME`, `deploy/NAME`, ... */
  target?: string | undefined;
  local?: boolean | undefined;
  /** `-l SELECTOR`: one Ready pod by label. */
  selector?: string | undefined;
  namespace?: string | undefined;
  container?: string | undefined;
  context?: string | undefined;
}

export type TargetSpecField = keyof TargetSpec;

/** A target the user named, recognised by one provider: its kind, how to say it, and the provider's own reading. */
export interface TargetChoice<P = unknown> {
  readonly kind: string;
  /** How progress names it: `container local-forecast-1`, `deploy/forecast in namespace shop`, `the local host`. */
  readonly label: string;
  readonly params: P;
}

/** A connected target and what its runtime offers around it. */
export interface TargetConnection {
  target: Target;
  /** How the user names this target again (`pod/NAME -n NS (container C)`, `container NAME`); default: its place. */
  label?: string | undefined;
  /** Fields that identify the target in `--json` outputs beside its name (a pod: pod, namespace, podContainer). */
  identity?: Record<string, string> | undefined;
  /** The service's main process as detection reads it (command, environment, ports); null where there is none to read (this host). */
  service(): Promise<ServiceProcess | null>;
  /** The command that installs memray for `python` there, printed when it is missing. */
  installCommand(python: string): string;
  /** What an install there does not survive (a restart of the container or pod), said after installing. */
  installNote?: string | undefined;
  /** The runtime's signals around the target (its neighbours' logs and usage, WireMock among them); absent where there are none (this host). */
  signalsSource?: SignalsSource<any, any> | undefined;
  /** Release what connecting opened (clients, forwards). */
  dispose?(): Promise<void>;
}

/**
 * One kind of target (this host, Docker containers, Kubernetes pods; later Podman, SSH hosts): it
 * recognises its own `--target` syntax and connects. Recognising loads nothing heavy: a runtime's
 * client library is loaded by `connect`.
 */
export interface TargetProvider<P = unknown> {
  readonly kind: string;
  /** How its targets are named, for messages: `--target pod/NAME, --target deploy/NAME or -l SELECTOR` (flags named by `label`). */
  syntax(label: (field: TargetSpecField) => string): string;
  /** The spec fields beyond `target`/`local` that belong to this kind (`namespace`, `container`, ...). */
  readonly fields: readonly TargetSpecField[];
  /**
   * Its reading of the spec when the spec names its kind of target, else null. Throws
   * InvalidOptionError for its own syntax gone wrong (a pod name with capitals), naming the flag with `label`.
   */
  parse(spec: TargetSpec, label: (field: TargetSpecField) => string): P | null;
  describe(params: P): string;
  connect(params: P): Promise<TargetConnection>;
}

const flagOf = (field: TargetSpecField) => `--${field}`;

/**
 * The providers a command knows, in the order they are asked (the one that takes any bare name last).
 * `choose` turns what the user wrote into a TargetChoice at the edge; `connect` connects it.
 */
export class TargetRegistry {
  constructor(readonly providers: readonly TargetProvider<any>[]) {}

  /** The target the spec names; InvalidOptionError (exit 2) when none recognises it or a flag belongs to another kind. */
  choose(spec: TargetSpec, label: (field: TargetSpecField) => string = flagOf): TargetChoice {
    for (const provider of this.providers) {
      const params = provider.parse(spec, label);
      if (params === null) continue;
      for (const field of ["selector", "namespace", "container", "context"] as const) {
        if (spec[field] !== undefined && !provider.fields.includes(field)) throw this.misplaced(field, label);
      }
      return { kind: provider.kind, label: provider.describe(params), params };
    }
    for (const field of ["selector", "namespace", "container", "context"] as const) {
      if (spec[field] !== undefined) throw this.misplaced(field, label);
    }
    throw new InvalidOptionError(
      `${label("target")} ${JSON.stringify(spec.target ?? "")} names no target memray-cli knows: use ${this.providers.map((p) => p.syntax(label)).join("; ")}`,
    );
  }

  async connect(choice: TargetChoice): Promise<TargetConnection> {
    return this.provider(choice.kind).connect(choice.params);
  }

  provider(kind: string): TargetProvider {
    const found = this.providers.find((provider) => provider.kind === kind);
    if (!found) throw new InvalidOptionError(`no provider for targets of kind "${kind}" is registered`);
    return found;
  }

  private misplaced(field: TargetSpecField, label: (field: TargetSpecField) => string): InvalidOptionError {
    const owners = this.providers.filter((provider) => provider.fields.includes(field));
    const kinds = owners.map((provider) => provider.kind.charAt(0).toUpperCase() + provider.kind.slice(1)).join(" or ");
    return new InvalidOptionError(
      `${label(field)} applies to ${kinds || "no"} targets only${owners.length ? `: add ${owners.map((p) => p.syntax(label)).join(" or ")}` : ""}`,
    );
  }
}
