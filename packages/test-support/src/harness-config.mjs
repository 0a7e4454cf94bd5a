// Plain ESM (not TypeScript): tools/bench's scripts load it with plain Node too.

/**
 * A complete harness config.json (every key of core's harnessConfigSchema) to run a script on this
 * host with `python -m memray_harness --config FILE`, without memray-cli: for the tests and benchmarks
 * that drive the harness directly. `fields` (the schema's own keys) override the defaults: mode
 * script, `script` as given by `script_path`, native traces and Python allocators traced, no
 * tracemalloc, no requirements installed, memray required.
 *
 * @param {string} python the interpreter, recorded as the local target's
 * @param {import("./harness-config.d.mts").LocalHarnessFields} fields
 */
export function localHarnessConfig(python, fields) {
  return {
    mode: "script",
    script: fields.script_path,
    script_args: [],
    app: null,
    app_dir: null,
    modules: [],
    endpoint: { path: "/", method: "GET", body: null, headers: {} },
    requests: 1,
    delay_seconds: 0,
    native_traces: true,
    trace_python_allocators: true,
    allow_no_memray: false,
    install_requirements: false,
    live_port: 9001,
    service_port: null,
    timeout_seconds: null,
    target: { kind: "local", name: "local", python, service_port: null },
    host_artifacts: [],
    host_sections_wait_seconds: null,
    host_warnings: [],
    tracemalloc: false,
    attach: null,
    scratch_dir: null,
    ...fields,
  };
}
