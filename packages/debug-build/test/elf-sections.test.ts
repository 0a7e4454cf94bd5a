import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bufferElfSource, debugSections, ElfFormatError, hasDebugInfo, readElfSections, type ElfSource } from "../src/elf-sections.js";
import { buildElf, extensionModule } from "@alpiq/memray-test-support";

/** Counts read() passes, to check the parser reads .shstrtab in the same pass when it can. */
function countingSource(buffer: Buffer): ElfSource & { passes: number } {
  const inner = bufferElfSource(buffer);
  const source = {
    size: inner.size,
    passes: 0,
    read: (ranges: ReadonlyArray<readonly [number, number]>) => {
      source.passes += 1;
      return inner.read(ranges);
    },
  };
  return source;
}

describe("readElfSections", () => {
  it("lists the sections of a 64-bit little-endian shared object with their sizes", async () => {
    const file = await readElfSections(bufferElfSource(extensionModule(true)));
    expect(file).toMatchObject({ class: 64, littleEndian: true, type: 3, machine: 62 });
    expect(file.sections.map((s) => s.name)).toEqual([
      "",
      ".dynsym",
      ".text",
      ".data",
      ".bss",
      ".debug_abbrev",
      ".debug_info",
      ".debug_line",
      ".debug_str",
      ".symtab",
      ".strtab",
      ".shstrtab",
    ]);
    expect(debugSections(file)).toEqual({ ".debug_abbrev": 100, ".debug_info": 4000, ".debug_line": 1500, ".debug_str": 2500 });
    expect(hasDebugInfo(file)).toBe(true);
  });

  it("says there is no debug info when .debug_info is absent", async () => {
    const file = await readElfSections(bufferElfSource(extensionModule(false)));
    expect(debugSections(file)).toEqual({});
    expect(hasDebugInfo(file)).toBe(false);
  });

  it("reads 32-bit big-endian files", async () => {
    const buffer = buildElf({
      class: 32,
      littleEndian: false,
      machine: 8,
      sections: [
        { name: ".text", data: 10 },
        { name: ".debug_info", data: 77 },
      ],
    });
    const file = await readElfSections(bufferElfSource(buffer));
    expect(file).toMatchObject({ class: 32, littleEndian: false, machine: 8 });
    expect(debugSections(file)).toEqual({ ".debug_info": 77 });
  });

  it("follows extended section numbering (e_shnum 0, e_shstrndx SHN_XINDEX)", async () => {
    const buffer = buildElf({ extendedNumbering: true, sections: [{ name: ".debug_info", data: 9 }] });
    const file = await readElfSections(bufferElfSource(buffer));
    expect(file.sections.map((s) => s.name)).toEqual(["", ".debug_info", ".shstrtab"]);
  });

  it("reports compressed DWARF (SHF_COMPRESSED) and GNU .zdebug_ sections as debug info", async () => {
    const compressed = await readElfSections(bufferElfSource(buildElf({ sections: [{ name: ".debug_info", flags: 0x800, data: 30 }] })));
    expect(compressed.sections[1]).toMatchObject({ name: ".debug_info", compressed: true, size: 30 });
    expect(hasDebugInfo(compressed)).toBe(true);
    const gnu = await readElfSections(bufferElfSource(buildElf({ sections: [{ name: ".zdebug_info", data: 12 }] })));
    expect(hasDebugInfo(gnu)).toBe(true);
  });

  it("does not count a NOBITS .debug_info (a stripped placeholder) as debug info", async () => {
    const file = await readElfSections(bufferElfSource(buildElf({ sections: [{ name: ".debug_info", type: 8, data: 500 }] })));
    expect(hasDebugInfo(file)).toBe(false);
  });

  it("reads .shstrtab in the table's pass when it sits just before the table, in a third pass otherwise", async () => {
    const near = countingSource(extensionModule(true));
    await readElfSections(near);
    expect(near.passes).toBe(2);
    const far = countingSource(buildElf({ strtabFirst: true, padding: 2 << 20, sections: [{ name: ".debug_info", data: 5 }] }));
    const file = await readElfSections(far);
    expect(far.passes).toBe(3);
    expect(hasDebugInfo(file)).toBe(true);
  });

  it("reads a real shared object of this host", async () => {
    const libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6"].find((p) => {
      try {
        readFileSync(p, { flag: "r" });
        return true;
      } catch {
        return false;
      }
    });
    if (!libc) return;
    const file = await readElfSections(bufferElfSource(readFileSync(libc)));
    expect(file.type).toBe(3);
    expect(file.sections.map((s) => s.name)).toContain(".text");
    expect(file.sections.map((s) => s.name)).toContain(".dynsym");
  });

  it.each([
    ["not ELF", Buffer.from("PK\u0003\u0004".padEnd(200, "x")), /no \\x7fELF magic/],
    ["too small", Buffer.from([0x7f, 0x45, 0x4c, 0x46]), /too small/],
    ["an unknown class", Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 7, 1]), Buffer.alloc(100)]), /unknown ELF class 7/],
  ])("rejects %s", async (_, buffer, message) => {
    await expect(readElfSections(bufferElfSource(buffer))).rejects.toThrow(message);
  });

  it("rejects a section header table past the end of the file and a file without one", async () => {
    const buffer = extensionModule(true);
    await expect(readElfSections(bufferElfSource(buffer.subarray(0, buffer.length - 100)))).rejects.toBeInstanceOf(ElfFormatError);
    const noTable = Buffer.from(buffer);
    noTable.writeBigUInt64LE(0n, 40);
    await expect(readElfSections(bufferElfSource(noTable))).rejects.toThrow(/no section header table/);
  });

  it("rejects a section name offset outside .shstrtab", async () => {
    const buffer = buildElf({ sections: [{ name: ".text", data: 4 }] });
    const shoff = Number(buffer.readBigUInt64LE(40));
    buffer.writeUInt32LE(10_000, shoff + 64); // section 1's sh_name
    await expect(readElfSections(bufferElfSource(buffer))).rejects.toThrow(/outside .shstrtab/);
  });
});
