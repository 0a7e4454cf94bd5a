import { stat } from "node:fs/promises";
import path from "node:path";
import createDebug from "debug";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { debugSections, ELF_MACHINES, ElfFormatError, hasDebugInfo, readElfSections, type ElfSource } from "./elf-sections.js";
import { DebugInfoMissingError, WheelInvalidError } from "./errors.js";

const debug = createDebug("memray:debug-build");

/** An extension module found in a wheel and what its section headers say. */
export interface ExtensionModule {
  /** Path inside the wheel, e.g. `pyo3_demo/pyo3_demo.abi3.so`. */
  path: string;
  /** The import name (first path component, without extension suffixes): `pyo3_demo`. */
  importName: string;
  /** `x86-64`, `aarch64`, ... (or `machine <n>`). */
  machine: string;
  /** Uncompressed size of the module in bytes. */
  size: number;
  /** DWARF sections (`.debug_*`) and their sizes in bytes, in file order. */
  debugSections: Record<string, number>;
  hasDebugInfo: boolean;
  /** Every section name, in file order. */
  sections: string[];
}

export interface WheelInspection {
  wheel: string;
  modules: ExtensionModule[];
  /** The debug sections of every module, sizes summed by section name. */
  debugSections: Record<string, number>;
}

/** A Python extension module (not a vendored `lib*.so.N` or anything under `<pkg>.libs/`). */
export function isExtensionModulePath(name: string): boolean {
  if (!name.endsWith(".so") || name.endsWith("/")) return false;
  const parts = name.split("/");
  if (parts.slice(0, -1).some((dir) => dir.endsWith(".libs") || dir.endsWith(".dist-info"))) return false;
  return true;
}

/** `pyo3_demo/pyo3_demo.abi3.so` → `pyo3_demo`; `fast.cpython-311-x86_64-linux-gnu.so` → `fast`. */
export function importNameOf(modulePath: string): string {
  const [first] = modulePath.split("/");
  return first!.split(".")[0]!;
}

/**
 * Read the section headers of every extension module in a wheel (a zip, read with yauzl; the ELF
 * parsing is ours, no external tool). Throws WheelInvalidError (exit 2) when the file is missing, not
 * a zip, or holds no ELF extension module.
 */
export async function inspectWheel(wheel: string): Promise<WheelInspection> {
  const file = path.resolve(wheel);
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new WheelInvalidError(wheel, "it is not a file");
  } catch (error) {
    if (error instanceof WheelInvalidError) throw error;
    throw new WheelInvalidError(wheel, "the file does not exist", { cause: error });
  }
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  } catch (error) {
    throw new WheelInvalidError(wheel, `it is not a zip archive (${(error as Error).message})`, { cause: error });
  }
  try {
    const entries = (await listEntries(zip)).filter((entry) => isExtensionModulePath(entry.fileName));
    if (entries.length === 0) {
      throw new WheelInvalidError(wheel, "it holds no extension module (*.so): is it a wheel of a maturin/PyO3 project?");
    }
    const modules: ExtensionModule[] = [];
    for (const entry of entries) {
      let elf;
      try {
        elf = await readElfSections(zipEntrySource(zip, entry));
      } catch (error) {
        const why = error instanceof ElfFormatError ? error.message : `cannot read it: ${(error as Error).message}`;
        throw new WheelInvalidError(wheel, `${entry.fileName} is not a readable ELF shared object (${why}); is the wheel for Linux?`, { cause: error });
      }
      const sections = debugSections(elf);
      modules.push({
        path: entry.fileName,
        importName: importNameOf(entry.fileName),
        machine: ELF_MACHINES[elf.machine] ?? `machine ${elf.machine}`,
        size: entry.uncompressedSize,
        debugSections: sections,
        hasDebugInfo: hasDebugInfo(elf),
        sections: elf.sections.map((s) => s.name).filter(Boolean),
      });
      debug("%s: %d sections, debug %o", entry.fileName, elf.sections.length, sections);
    }
    const total: Record<string, number> = {};
    for (const module of modules) for (const [name, size] of Object.entries(module.debugSections)) total[name] = (total[name] ?? 0) + size;
    return { wheel: file, modules, debugSections: total };
  } finally {
    zip.close();
  }
}

/**
 * inspectWheel, then require `.debug_info` in every extension module: throws DebugInfoMissingError
 * (exit 1) saying why memray's frames will not resolve.
 */
export async function verifyWheel(wheel: string): Promise<WheelInspection> {
  const inspection = await inspectWheel(wheel);
  const missing = inspection.modules.filter((module) => !module.hasDebugInfo);
  if (missing.length > 0)
    throw new DebugInfoMissingError(
      inspection.wheel,
      missing.map((m) => ({ path: m.path, sections: m.sections })),
    );
  return inspection;
}

function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on("entry", (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", reject);
    zip.readEntry();
  });
}

/**
 * Byte ranges of one zip member. A stored member is read range by range; a deflated one is inflated
 * from its start once per read() call, copying the requested ranges and stopping after the last.
 */
function zipEntrySource(zip: ZipFile, entry: Entry): ElfSource {
  return {
    size: entry.uncompressedSize,
    async read(ranges) {
      const out = ranges.map(([start, end]) => Buffer.alloc(Math.max(0, end - start)));
      const last = Math.max(0, ...ranges.map(([, end]) => end));
      if (last === 0) return out;
      if (last > entry.uncompressedSize) throw new ElfFormatError(`range ending at ${last} is outside the file (${entry.uncompressedSize} bytes)`);
      if (entry.compressionMethod === 0) {
        return Promise.all(
          ranges.map(async ([start, end], index) =>
            end > start ? collect(await zip.openReadStreamPromise(entry, { start, end }), [[0, end - start]], end - start).then(([b]) => b!) : out[index]!,
          ),
        );
      }
      return collect(await zip.openReadStreamPromise(entry), ranges, last);
    },
  };
}

async function collect(stream: NodeJS.ReadableStream & { destroy(): void }, ranges: ReadonlyArray<readonly [number, number]>, last: number): Promise<Buffer[]> {
  const out = ranges.map(([start, end]) => Buffer.alloc(Math.max(0, end - start)));
  let position = 0;
  try {
    for await (const data of stream) {
      const chunk = data as Buffer;
      const chunkStart = position;
      const chunkEnd = position + chunk.length;
      ranges.forEach(([start, end], index) => {
        const from = Math.max(start, chunkStart);
        const to = Math.min(end, chunkEnd);
        if (from < to) chunk.copy(out[index]!, from - start, from - chunkStart, to - chunkStart);
      });
      position = chunkEnd;
      if (position >= last) break;
    }
  } finally {
    stream.destroy();
  }
  if (position < last) throw new ElfFormatError(`the member ended after ${position} bytes (expected at least ${last})`);
  return out;
}
