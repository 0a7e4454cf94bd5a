import { z } from "zod";
import {
  numberOrDecimal,
  integer,
  InvalidOptionError,
  MAX_RUN_NAME_LENGTH,
  MODE_RULES,
  parseOptions,
  profileOptionsSchema,
  runnableProfileOptionsSchema,
  type ProfileOptions,
  type ProfileOptionsInput,
  sanitizeRunName,
  type TargetChoice,
  type TargetRegistry,
} from "@alpiq/memray-core";
import { DEFAULT_LOGS_SINCE, DEFAULT_SIGNALS_TIMEOUT_SECONDS, normalizeWireMockUrl, parseSince, SINCE_EXPECTED } from "@alpiq/memray-signals";
import { flagLabel, PROFILE_FLAGS, type ProfileFlagField, type RawProfileFlags } from "./profile-flags.js";

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
  /** --repeat N: N runs one after another, run i named NAME-i; undefined without the flag (one run, no suffix). */
  repeat: number | undefined;
  /** Signals collected around the run; null with --no-signals. */
  signals: SignalsChoice | null;
}

export interface SignalsChoice {
  /** --wiremock, normalised (`http://host:port`); undefined: discover it in the target's Compose project. */
  wiremockUrl: string | undefined;
  logsSince: string;
  timeoutSeconds: number;
}

/** The most runs one `--repeat` makes. */
const MAX_REPEAT = 100;

const REPEAT_EXPECTED = `expects a number of runs from 1 to ${MAX_REPEAT}`;

/** The CLI's own fields, checked by the same mechanism as core's. */
const cliFieldsSchema = z.object({
  target: z.string().trim().min(1, { error: "expects a container name, id prefix or Compose service, or pod/NAME, deploy/NAME" }).optional(),
  local: z.boolean().optional(),
  out: z.string().min(1, { error: "expects a directory" }).default("runs"),
  name: z
    .string()
    .trim()
    .min(1, { error: "expects a run name" })
    .max(MAX_RUN_NAME_LENGTH, {
      error: `is too long: a run name may have at most ${MAX_RUN_NAME_LENGTH} characters (the run directory adds -YYYYMMDD-HHMMSS, and a file name has at most 255 bytes)`,
    })
    .optional(),
  json: z.boolean().default(false),
  quiet: z.boolean().default(false),
  baseline: z.string().trim().min(1, { error: "expects a run directory (runs/<name>-<timestamp>) or its summary.json" }).optional(),
  repeat: integer(1, MAX_REPEAT, REPEAT_EXPECTED).optional(),
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
  signalsTimeout: numberOrDecimal("expects a number of seconds from 0.1 to 600")
    .pipe(z.number().min(0.1, { error: "expects a number of seconds from 0.1 to 600" }).max(600, { error: "expects a number of seconds from 0.1 to 600" }))
    .default(DEFAULT_SIGNALS_TIMEOUT_SECONDS),
  /** false with --no-signals. */
  signals: z.boolean().default(true),
  selector: z.string().trim().min(1, { error: "expects a label selector such as app=forecast" }).optional(),
  namespace: z
    .string()
    .trim()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "expects a Kubernetes namespace name (lower-case letters, digits and '-')" })
    .optional(),
  container: z.string().trim().min(1, { error: "expects the name of a container of the pod" }).optional(),
  context: z.string().trim().min(1, { error: "expects a context of the kubeconfig" }).optional(),
});

const CLI_FIELDS = new Set(Object.keys(cliFieldsSchema.shape));

/** The CLI's own fields as a caller gives them (strings from flags, numbers and booleans from code). */
export type CliFieldsInput = z.input<typeof cliFieldsSchema>;

/**
 * Validate `profile` flags, recipe variables or menu answers once, with core's schema; `label`
 * names a field as the user's surface does (`--requests`, `request_count`); `targets` recognises the
 * target they name.
 */
export function parseProfileOptions(
  targets: TargetRegistry,
  flags: RawProfileFlags | Partial<Record<ProfileFlagField, unknown>>,
  scriptArgs: string[] = [],
  label: (field: string) => string = flagLabel,
): CliProfileOptions {
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
  const target = targets.choose(
    { target: cli.target, local: cli.local, selector: cli.selector, namespace: cli.namespace, container: cli.container, context: cli.context },
    label,
  );
  // On this host nothing can be detected: the app must be given. A container may still tell it.
  const schema = target.kind === "local" ? runnableProfileOptionsSchema : profileOptionsSchema;
  const options = parseOptions(schema, input, label);
  if (cli.repeat !== undefined) checkRepeat(cli.repeat, cli.name, options.mode, label);
  const signals = cli.signals ? { wiremockUrl: cli.wiremock, logsSince: cli.logsSince, timeoutSeconds: cli.signalsTimeout } : null;
  return {
    input: input as ProfileOptionsInput,
    options,
    target,
    out: cli.out,
    name: cli.name,
    json: cli.json,
    quiet: cli.quiet,
    baseline: cli.baseline,
    repeat: cli.repeat,
    signals,
  };
}

/**
 * --repeat N: a live mode runs until its client or Ctrl-C ends it, so it is not repeated; each run's
 * name gets `-<i>`, which must still fit the longest run name.
 */
function checkRepeat(repeat: number, name: string | undefined, mode: ProfileOptions["mode"], label: (field: string) => string): void {
  if (repeat > 1 && MODE_RULES[mode].live) {
    throw new InvalidOptionError(`${label("repeat")} ${repeat} does not apply to mode ${mode}: a live run ends when its client or Ctrl-C ends it`, {
      hint: `profile ${mode} once, or repeat a mode that ends by itself (script, endpoint, sequence, ...)`,
    });
  }
  if (name === undefined) return;
  const longest = MAX_RUN_NAME_LENGTH - `-${repeat}`.length;
  const length = sanitizeRunName(name).length;
  if (length > longest) {
    throw new InvalidOptionError(
      `${label("name")} is ${length} characters long; with ${label("repeat")} ${repeat} a run name may have at most ${longest} (each run adds -<i> to it)`,
      { hint: `choose a shorter name with ${label("name")}` },
    );
  }
}
