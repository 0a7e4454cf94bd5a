import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  createRunDir,
  ExitCode,
  InvalidOptionError,
  LocalTarget,
  MODE_RULES,
  MODES,
  parseOptions,
  profileOptionsSchema,
  runnableProfileOptionsSchema,
  runProfile,
  summarySchema,
} from "../src/index.js";

const flag = (field: string) => `--${field}`;
const fails = (input: Record<string, unknown>, schema = profileOptionsSchema) => {
  try {
    parseOptions(schema, input, flag);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).exitCode).toBe(ExitCode.Usage);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
};

describe("profile options schema", () => {
  it("accepts strings from flags and numbers from code alike", () => {
    const fromFlags = parseOptions(profileOptionsSchema, { mode: "sequence", app: "m:app", requests: "5", delaySeconds: "0.5", traceAllocators: "False" });
    const fromCode = parseOptions(profileOptionsSchema, { mode: "sequence", app: "m:app", requests: 5, delaySeconds: 0.5, traceAllocators: false });
    expect(fromFlags).toEqual(fromCode);
    expect(fromFlags).toMatchObject({ requests: 5, delaySeconds: 0.5, traceAllocators: false, endpoint: { path: null, method: "GET" } });
  });

  it("an endpoint not given stays distinguishable (null, for the harness to choose a route), never a quiet /", () => {
    expect(parseOptions(profileOptionsSchema, { mode: "endpoint" }).endpoint.path).toBeNull();
    expect(parseOptions(profileOptionsSchema, { mode: "endpoint", endpoint: "/" }).endpoint.path).toBe("/");
    expect(parseOptions(profileOptionsSchema, { mode: "endpoint", endpoint: "/health" }).endpoint.path).toBe("/health");
    // attach sends them to the service's real port: there is no app object there to read the routes of.
    expect(fails({ mode: "attach", requests: "5" })).toMatch(/--endpoint is required with requests in mode attach/);
    expect(parseOptions(profileOptionsSchema, { mode: "attach", requests: "5", endpoint: "/leak" }).endpoint.path).toBe("/leak");
    expect(parseOptions(profileOptionsSchema, { mode: "attach" }).endpoint.path).toBeNull();
  });

  it("fills defaults from the mode's rule and applies what the mode forces", () => {
    expect(parseOptions(profileOptionsSchema, { mode: "sequence" })).toMatchObject(MODE_RULES.sequence.defaults);
    const leaks = parseOptions(profileOptionsSchema, { mode: "leaks", script: "a.py", traceAllocators: "False" });
    expect(leaks).toMatchObject({ traceAllocators: true, traceAllocatorsRequested: false });
  });

  it("a body makes a POST with a JSON content type unless told otherwise", () => {
    const options = parseOptions(profileOptionsSchema, { mode: "endpoint", body: '{"a":1}', headers: ["X-Token: abc"] });
    expect(options.endpoint).toEqual({ path: null, method: "POST", body: '{"a":1}', headers: { "X-Token": "abc", "Content-Type": "application/json" } });
  });

  it.each([
    [{ mode: "nope" }, /--mode expects one of snapshot, endpoint.*received "nope"/],
    [{ mode: "sequence", requests: "0" }, /--requests expects an integer from 1 to 100000, received "0"/],
    [{ mode: "sequence", requests: "2.5" }, /--requests expects an integer/],
    [{ mode: "sequence", delaySeconds: "-1" }, /--delaySeconds expects a number of seconds >= 0, received "-1"/],
    [{ mode: "script", script: "a.py", timeoutSeconds: "0" }, /--timeoutSeconds expects a number of seconds > 0, received "0"/],
    [{ mode: "script", script: "a.py", timeoutSeconds: "99999999999" }, /--timeoutSeconds expects at most 604800 seconds \(7 days\), received "99999999999"/],
    [{ mode: "sequence", delaySeconds: 1e12 }, /--delaySeconds expects at most 604800 seconds \(7 days\), received 1000000000000/],
    [{ mode: "endpoint", endpoint: "forecast" }, /--endpoint expects a path starting with \/, received "forecast"/],
    [{ mode: "endpoint", app: "not an app" }, /--app expects module:attr/],
    [{ mode: "endpoint", body: "{oops" }, /--body expects JSON/],
    [{ mode: "endpoint", headers: ["no-colon"] }, /--headers expects "Name: value"/],
    [{ mode: "endpoint", port: "70000" }, /--port expects an integer from 1 to 65535/],
    [{ mode: "script", script: "a.py", traceAllocators: "maybe" }, /--traceAllocators expects True or False, received "maybe"/],
    [{ mode: "script" }, /--script is required by mode script/],
    [{ mode: "endpoint", script: "a.py" }, /--script is not used by mode endpoint/],
  ])("rejects %j naming the option, what it expects and what it received", (input, message) => {
    expect(fails(input)).toMatch(message);
  });

  it("requires the app only where it cannot be detected later", () => {
    for (const mode of MODES) {
      const rule = MODE_RULES[mode];
      const input = { mode, ...(rule.script === "required" ? { script: "a.py" } : {}) };
      expect(() => parseOptions(profileOptionsSchema, input)).not.toThrow();
      if (rule.app === "required" || rule.app === "fallback") expect(fails(input, runnableProfileOptionsSchema)).toMatch(/--app is required/);
      else expect(() => parseOptions(runnableProfileOptionsSchema, input)).not.toThrow();
    }
  });
});

describe("runProfile validates its options like every other entry", () => {
  it("runProfile({ mode: 'nope' }) fails with the bad-input code, exit 2, and a valid summary", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "memray-options-"));
    const runDir = await createRunDir({ outRoot: root, name: "bad", cwd: root });
    const result = await runProfile({ mode: "nope" as never, target: new LocalTarget(), runDir });
    expect(result.exitCode).toBe(2);
    expect(result.error?.code).toBe("INVALID_OPTION");
    expect(result.error?.message).toMatch(/mode expects one of .*received "nope"/);
    const summary = summarySchema.parse(JSON.parse(await readFile(path.join(runDir.path, "summary.json"), "utf8")));
    expect(summary).toMatchObject({ error_code: "INVALID_OPTION", exit_code: null });
    expect(summary.error).toMatch(/received "nope"/);
  });
});
