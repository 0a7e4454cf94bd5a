import { z } from "zod";
import { APP_REF_PATTERN } from "./app-ref.js";
import { InvalidOptionError } from "./errors.js";
import { type EndpointRequest, MAX_SECONDS } from "./harness-config-schema.js";
import { appNeed, DEFAULT_ATTACH_SECONDS, DEFAULT_LIVE_PORT, MODE_RULES, MODES } from "./mode-rules.js";

/**
 * The options of one profiling run, validated once wherever they enter: CLI flags, recipe `-e`
 * keys and menu answers (all strings), and the library entry `runProfile` (numbers and booleans).
 * Field names are the library's; each surface names them its own way in messages (see `label`).
 */

const PYTHON_TRUE = ["true", "1", "yes"];
const PYTHON_FALSE = ["false", "0", "no"];

/** A whole number from `min` to `max` given as a number or a string of digits; `error` is the message of any other value. */
export const integer = (min: number, max: number, error = `expects an integer from ${min} to ${max}`) =>
  z.union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], { error }).pipe(z.number().int({ error }).min(min, { error }).max(max, { error }));

/** A number, or a string of digits with an optional decimal part (a flag's value), as a number. */
export const numberOrDecimal = (error: string) =>
  z.union(
    [
      z.number(),
      z
        .string()
        .trim()
        .regex(/^\d+(\.\d+)?$/)
        .transform(Number),
    ],
    { error },
  );

/** Seconds as a number or a decimal string, at most MAX_SECONDS; `positive` refuses 0. */
const seconds = (positive: boolean) => {
  const expected = positive ? "expects a number of seconds > 0" : "expects a number of seconds >= 0";
  return numberOrDecimal(expected).pipe(
    z
      .number({ error: expected })
      .refine((v) => Number.isFinite(v) && (positive ? v > 0 : v >= 0), { error: expected, abort: true })
      .refine((v) => v <= MAX_SECONDS, { error: `expects at most ${MAX_SECONDS} seconds (7 days)` }),
  );
};

const port = integer(1, 65535);

/** The seed's trace_allocators takes Python capitalisation (True/False); common spellings are normalised. */
export const pythonBoolSchema = z.union(
  [
    z.boolean(),
    z
      .string()
      .refine((value) => [...PYTHON_TRUE, ...PYTHON_FALSE].includes(value.trim().toLowerCase()))
      .transform((value) => PYTHON_TRUE.includes(value.trim().toLowerCase())),
  ],
  { error: "expects True or False" },
);

/** Whether a string is exactly the seed's spelling (True/False); others are accepted with a note. */
export function isCanonicalPythonBool(value: unknown): boolean {
  return typeof value !== "string" || value === "True" || value === "False";
}

const header = z.string().regex(/^[^:\s][^:]*:/, { error: 'expects "Name: value"' });

const baseOptions = z.object({
  mode: z.enum(MODES, { error: `expects one of ${MODES.join(", ")}` }),
  script: z.string().min(1, { error: "expects the path of a .py file" }).optional(),
  scriptArgs: z.array(z.string()).default([]),
  /** Not given: the harness chooses one of the app's routes (its health route first), never a quiet `/`. */
  endpoint: z.string().startsWith("/", { error: "expects a path starting with /" }).optional(),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, { error: "expects an HTTP method such as GET or POST" })
    .optional(),
  body: z
    .string()
    .refine(
      (value) => {
        try {
          JSON.parse(value);
          return true;
        } catch {
          return false;
        }
      },
      { error: "expects JSON" },
    )
    .optional(),
  headers: z.union([z.array(header), z.record(z.string(), z.string())]).default([]),
  requests: integer(1, 100_000).optional(),
  delaySeconds: seconds(false).optional(),
  app: z.string().regex(APP_REF_PATTERN, { error: "expects module:attr (e.g. forecast_service.app:app) or module:factory()" }).optional(),
  port: port.optional(),
  traceAllocators: pythonBoolSchema.default(true),
  modules: z.array(z.string().min(1)).default([]),
  livePort: port.default(DEFAULT_LIVE_PORT),
  timeoutSeconds: seconds(true).optional(),
  python: z.string().min(1, { error: "expects an interpreter name or path" }).optional(),
  allowNoMemray: z.boolean().default(false),
  tracemalloc: z.boolean().default(false),
  /** attach: the window, seconds. */
  durationSeconds: seconds(true)
    .pipe(z.number().max(86_400, { error: "expects a number of seconds up to 86400 (a day)" }))
    .optional(),
  /** attach: the service's processes to track (default: every process that serves). */
  pids: z
    .array(
      z
        .union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], { error: "expects a process id" })
        .pipe(z.number().int().positive({ error: "expects a process id" })),
    )
    .default([]),
  /** attach: memray's aggregated capture format. */
  aggregate: z.boolean().default(false),
});

type BaseOptions = z.output<typeof baseOptions>;

/** Profile options after validation: defaults filled from the mode's rule, forced flags applied. */
export interface ProfileOptions {
  mode: BaseOptions["mode"];
  script: string | undefined;
  scriptArgs: string[];
  endpoint: EndpointRequest;
  requests: number;
  delaySeconds: number;
  app: string | undefined;
  port: number | undefined;
  /** What the user asked; `traceAllocators` below is what the run uses. */
  traceAllocatorsRequested: boolean;
  traceAllocators: boolean;
  modules: string[];
  livePort: number;
  timeoutSeconds: number | undefined;
  python: string | undefined;
  allowNoMemray: boolean;
  /** Run Python's tracemalloc beside memray (memory.tracemalloc_source "tracemalloc"); by default its figures are derived from the capture. */
  tracemalloc: boolean;
  /** attach: null for every other mode. */
  attach: { durationSeconds: number; pids: number[]; aggregate: boolean; sendRequests: boolean } | null;
}

function headerRecord(headers: BaseOptions["headers"]): Record<string, string> {
  if (!Array.isArray(headers)) return { ...headers };
  return Object.fromEntries(
    headers.map((value) => {
      const index = value.indexOf(":");
      return [value.slice(0, index).trim(), value.slice(index + 1).trim()];
    }),
  );
}

function complete(options: BaseOptions): ProfileOptions {
  const rule = MODE_RULES[options.mode];
  const headers = headerRecord(options.headers);
  if (options.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/json";
  }
  return {
    mode: options.mode,
    script: options.script,
    scriptArgs: options.scriptArgs,
    endpoint: {
      path: options.endpoint ?? null,
      method: (options.method ?? (options.body !== undefined ? "POST" : "GET")).toUpperCase(),
      body: options.body ?? null,
      headers,
    },
    requests: options.requests ?? rule.defaults.requests,
    delaySeconds: options.delaySeconds ?? rule.defaults.delaySeconds,
    app: options.app,
    port: options.port,
    traceAllocatorsRequested: options.traceAllocators,
    traceAllocators: rule.forces.trace_python_allocators ?? options.traceAllocators,
    modules: options.modules,
    livePort: options.livePort,
    timeoutSeconds: options.timeoutSeconds,
    python: options.python,
    allowNoMemray: options.allowNoMemray,
    tracemalloc: options.tracemalloc,
    attach:
      rule.workload === "attach"
        ? {
            durationSeconds: options.durationSeconds ?? DEFAULT_ATTACH_SECONDS,
            pids: options.pids,
            aggregate: options.aggregate,
            sendRequests: options.requests !== undefined,
          }
        : null,
  };
}

function checkWorkload(options: BaseOptions, ctx: z.RefinementCtx, appMayBeDetected: boolean): void {
  const rule = MODE_RULES[options.mode];
  if (rule.script === "required" && !options.script) {
    ctx.addIssue({ code: "custom", path: ["script"], message: `is required by mode ${options.mode}`, input: undefined });
  }
  if (rule.script === "none" && options.script) {
    ctx.addIssue({ code: "custom", path: ["script"], message: `is not used by mode ${options.mode} (${rule.description})`, input: options.script });
  }
  if (rule.workload !== "attach") {
    for (const field of ["durationSeconds", "aggregate"] as const) {
      if (options[field]) ctx.addIssue({ code: "custom", path: [field], message: `applies to mode attach only`, input: options[field] });
    }
    if (options.pids.length) ctx.addIssue({ code: "custom", path: ["pids"], message: `applies to mode attach only`, input: options.pids });
  } else if (options.requests !== undefined && options.endpoint === undefined) {
    // Sent to the service's real port: the harness has no app object there to read routes from.
    ctx.addIssue({
      code: "custom",
      path: ["endpoint"],
      message: "is required with requests in mode attach: the path sent to the service's own port, e.g. /health",
      input: undefined,
    });
  }
  if (!appMayBeDetected && appNeed(options.mode, Boolean(options.script)) === "required" && !options.app) {
    const why = rule.app === "fallback" ? ` when no script is given` : "";
    ctx.addIssue({
      code: "custom",
      path: ["app"],
      message: `is required by mode ${options.mode}${why}: the WSGI or ASGI app to serve, as module:attr`,
      input: undefined,
    });
  }
}

/** Options at the edge, where a container may still tell the app (it is detected later). */
export const profileOptionsSchema = baseOptions.superRefine((options, ctx) => checkWorkload(options, ctx, true)).transform(complete);

/** Options of a run about to start: everything its workload needs is known (runProfile's input). */
export const runnableProfileOptionsSchema = baseOptions.superRefine((options, ctx) => checkWorkload(options, ctx, false)).transform(complete);

export type ProfileOptionsInput = z.input<typeof baseOptions>;
export type ProfileOptionField = keyof ProfileOptionsInput;

/** A received value in a message: JSON, a long string shortened (its length said). */
function shownValue(value: unknown): string {
  if (typeof value === "string" && value.length > 80) return `${JSON.stringify(`${value.slice(0, 40)}…`)} (${value.length} characters)`;
  return JSON.stringify(value);
}

/**
 * Parse with a schema and turn its issues into one InvalidOptionError (exit 2) whose message names
 * each option as the caller's surface calls it (`--requests`, `request_count`, `requests`), what it
 * expects, and the value received.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, label: (field: string) => string = (field) => field): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.slice(0, 5).map((issue) => {
    const field = issue.path.length ? String(issue.path[0]) : "";
    const received =
      issue.path.length === 0
        ? input
        : issue.path.length === 1 && typeof input === "object" && input !== null
          ? (input as Record<string, unknown>)[field]
          : undefined;
    return `${label(field)} ${issue.message}${received === undefined ? "" : `, received ${shownValue(received)}`}`;
  });
  throw new InvalidOptionError(lines.join("\n"), { cause: result.error });
}
