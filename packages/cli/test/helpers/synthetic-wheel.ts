import { buildElf, demoWheel } from "@alpiq/memray-test-support";

/**
 * A maturin-like wheel of `pyo3_demo` whose extension module is a minimal ELF64 shared object, with or
 * without DWARF sections (`.debug_info` 4000 bytes, `.debug_line` 1500), stored uncompressed. For CLI
 * tests that need no Docker build.
 */
export function syntheticWheel(withDebugInfo: boolean): Buffer {
  const debug = withDebugInfo
    ? [
        { name: ".debug_info", data: 4000 },
        { name: ".debug_line", data: 1500 },
      ]
    : [];
  return demoWheel(buildElf({ sections: [{ name: ".text", data: 256 }, ...debug] }), "store");
}
