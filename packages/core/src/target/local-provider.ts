import { InvalidOptionError } from "../errors.js";
import { LocalTarget } from "./local-target.js";
import type { TargetProvider } from "./target-registry.js";

/**
 * This host: `--local`, or no target named at all. Nothing is detected here: the interpreter is
 * `--python` or python3, the app is whatever --app names.
 */
export const localTargetProvider: TargetProvider<Record<string, never>> = {
  kind: "local",
  syntax: (label) => label("local"),
  fields: [],
  parse(spec, label) {
    if (spec.local) {
      for (const field of ["target", "selector"] as const) {
        if (spec[field] !== undefined) throw new InvalidOptionError(`${label("local")} and ${label(field)} exclude each other: pick one`);
      }
      return {};
    }
    return spec.target === undefined && spec.selector === undefined ? {} : null;
  },
  describe: () => "the local host",
  async connect() {
    return { target: new LocalTarget(), service: async () => null, installCommand: (python) => `${python} -m pip install memray` };
  },
};
