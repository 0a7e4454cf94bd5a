import { z } from "zod";
import {
  InvalidOptionError,
  parseOptions,
  profileOptionsSchema,
  runnableProfileOptionsSchema,
  type ProfileOptions,
  type ProfileOptionsInput,
} from "@alpiq/memray-core";
import { DEFAULT_LOGS_SINCE, DEFAULT_SIGNALS_TIMEOUT_SECONDS, normalizeWireMockUrl, parseSince, SINCE_EXPECTED } from "@alpiq/memray-signals";
import { describePodRef, isPodTarget, parsePodTarget, type PodRef } from "@alpiq/memray-kubernetes/pod-ref";
import { flagLabel, PROFILE_FLAGS, type RawProfileFlags } from "./profile-flags.js";

export type TargetChoice =
  | { kind: "local" }
  | { kind: "docker"; container: string }
  | { kind: "kubernetes"; ref: PodRef; namespace?: string | undefined; container?: string | undefined; context?: string | undefined };

/** How progress names the target being connected to. */
export function describeTargetChoice(choice: TargetChoice): string {
  if (choice.kind === "local") return "the local host";
  if (choice.kind === "docker") return `container ${choice.container}`;
  return `${describePodRef(choice.ref)}${choice.namespace ? ` in namespace ${choice.namespace}` : ""}${choice.context ? ` (context ${choice.context})` : ""}`;
}

/** Where a Kubernetes target is, from --target pod/NAME | deploy/NAME or -l, with --namespace, --container, --context. */
export interface KubernetesTargetFlags {
  target?: string | undefined;
  selector?: string | undefined;
  namespace?: string | undefined;
  container?: string | undefined;
  context?: string | undefined;
}

/**
 * A kubernetes TargetChoice when the flags name a pod, null when they name a container (or nothing);
 * --namespace/--container/--context without a pod are an InvalidOptionError, as is --target with -l.
 */
export function kubernetesChoice(flags: KubernetesTargetFlags, label: (field: string) => string = flagLabel): TargetChoice | null {
  const podTarget = flags.target !== undefined && isPodTarget(flags.target);
  if (flags.selector !== undefined && flags.target !== undefined) {
    throw new InvalidOptionError(`${label("target")} and ${label("selector")} exclude each other: name the pod one way`);
  }
  if (!podTarget && flags.selector === undefined) {
    for (const field of ["namespace", "container", "context"] as const) {
      if (flags[field] !== undefined) {
        throw new InvalidOptionError(`${label(field)} applies to Kubernetes targets only: add --target pod/NAME, --target deploy/NAME or ${label("selector")} SELECTOR`);
      }
    }
    return null;
  }
  let ref: PodRef;
  if (podTarget) {
    try {
      ref = parsePodTarget(flags.target!)!;
    } catch (error) {
      throw new InvalidOptionError(`${label("target")} ${(error as Error).message}`);
    }
  } else {
    ref = { kind: "selector", selector: flags.selector! };
  }
  return { kind: "kubernetes", ref, namespace: flags.namespace, container: flags.container, context: flags.context };
}

/** `profile` options after validation at the edge. */
export interface CliProfileOptions {
  /** What the user gave, as core's schema takes it (runProfile validates it again as its own entry). */
  input: ProfileOptionsInput;
  /** The same, parsed: defaults from the mode's rule, forced flags applied. */
  options: ProfileOptions;
  target: TargetChoice;
  out: string;
  name: string | undefined;
  json: boolean;
  /** --quiet: nothing but the run directory (and errors) is printed. */
  quiet: boolean;
  /** --baseline: a run directory to compare this run with afterwards. */
  baseline: string | undefined;
  /** Signals collected around the run; null with --no-signals. */
  signals: SignalsChoice | null;
}

export interface SignalsChoice {
  /** --wiremock, normalised (`http://host:port`); undefined: discover it in the target's Compose project. */
  wiremockUrl: string | undefined;
  logsSince: string;
  timeoutSeconds: number;
}

/** The CLI's own fields, checked by the same mechanism as core's. */
const cliFieldsSchema = z.object({
  target: z.string().trim().min(1, { error: "expects a container name, id prefix or Compose service" }).optional(),
  local: z.boolean().optional(),
  out: z.string().min(1, { error: "expects a directory" }).default("runs"),
  name: z.string().trim().min(1, { error: "expects a run name" }).optional(),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
  baseline: z.string().trim().min(1, { error: "expects a run directory (runs/<name>-<timestamp>) or its summary.json" }).optional(),
  wiremock: z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          normalizeWireMockUrl(value);
          return true;
        } catch {
          return false;
        }
      },
      { error: "expects an http:// or https:// URL such as http://127.0.0.1:8089" },
    )
    .transform(normalizeWireMockUrl)
    .optional(),
  logsSince: z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          parseSince(value);
          return true;
        } catch {
          return false;
        }
      },
      { error: `${SINCE_EXPECTED} (not in the future)` },
    )
    .default(DEFAULT_LOGS_SINCE),
  signalsTimeout: z
    .union([z.number(), z.string().trim().regex(/^\d+(\.\d+)?$/).transform(Number)], { error: "expects a number of seconds from 0.1 to 600" })
    .pipe(z.number().min(0.1, { error: "expects a number of seconds from 0.1 to 600" }).max(600, { error: "expects a number of seconds from 0.1 to 600" }))
    .default(DEFAULT_SIGNALS_TIMEOUT_SECONDS),
  /** false with --no-signals. */
  signals: z.boolean().default(true),
  selector: z.string().trim().min(1, { error: "expects a label selector such as app=forecast" }).optional(),
  namespace: z.string().trim().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expects a Kubernetes namespace name (lower-case letters, digits and '-')" }).optional(),
  container: z.string().trim().min(1, { error: "expects the name of a container of the pod" }).optional(),
  context: z.string().trim().min(1, { error: "expects a context of the kubeconfig" }).optional(),
});

const CLI_FIELDS = new Set(Object.keys(cliFieldsSchema.shape));

/**
 * Validate `profile` flags, recipe variables or menu answers once, with core's schema; `label`
 * names a field as the user's surface does (`--requests`, `request_count`).
 */
export function parseProfileOptions(flags: RawProfileFlags, scriptArgs: string[] = [], label: (field: string) => string = flagLabel): CliProfileOptions {
  const input: Record<string, unknown> = { scriptArgs };
  const cliInput: Record<string, unknown> = {};
  for (const spec of PROFILE_FLAGS) {
    const value = flags[spec.field];
    if (value === undefined) continue;
    (CLI_FIELDS.has(spec.field) ? cliInput : input)[spec.field] = value;
  }
  // The seed's custom-script recipe form: a script without a mode means script mode.
  if (input.mode === undefined && input.script !== undefined) input.mode = "script";
  if (input.mode === undefined) throw new InvalidOptionError(`${label("mode")} is required: one of ${PROFILE_FLAGS[0]!.description.split(": ")[1]}`);
  const cli = parseOptions(cliFieldsSchema, cliInput, label);
  if (cli.local && cli.target) throw new InvalidOptionError(`${label("local")} and ${label("target")} exclude each other: pick one`);
  if (cli.local && cli.selector) throw new InvalidOptionError(`${label("local")} and ${label("selector")} exclude each other: pick one`);
  const target: TargetChoice = kubernetesChoice(cli, label) ?? (cli.target ? { kind: "docker", container: cli.target } : { kind: "local" });
  // On this host nothing can be detected: the app must be given. A container may still tell it.
  const schema = target.kind === "local" ? runnableProfileOptionsSchema : profileOptionsSchema;
  const options = parseOptions(schema, input, label);
  const signals = cli.signals ? { wiremockUrl: cli.wiremock, logsSince: cli.logsSince, timeoutSeconds: cli.signalsTimeout } : null;
  return { input: input as ProfileOptionsInput, options, target, out: cli.out, name: cli.name, json: cli.json, quiet: cli.quiet, baseline: cli.baseline, signals };
}
