import { crc32 } from "node:zlib";

/**
 * A maturin-like wheel of `pyo3_demo` whose extension module is a minimal ELF64 shared object, with or
 * without DWARF sections (`.debug_info` 4000 bytes, ...). For CLI tests that need no Docker build.
 */
export function syntheticWheel(withDebugInfo: boolean): Buffer {
  const sections: Array<[string, number]> = [
    [".text", 256],
    ...(withDebugInfo ? ([[".debug_info", 4000], [".debug_line", 1500]] as Array<[string, number]>) : []),
  ];
  return storedZip([
    ["pyo3_demo/__init__.py", Buffer.from("from .pyo3_demo import *\n")],
    ["pyo3_demo/pyo3_demo.abi3.so", elf64(sections)],
    ["pyo3_demo-0.1.0.dist-info/WHEEL", Buffer.from("Wheel-Version: 1.0\nTag: cp39-abi3-linux_x86_64\n")],
  ]);
}

function elf64(sections: Array<[string, number]>): Buffer {
  const names = ["", ...sections.map(([name]) => name), ".shstrtab"];
  const strtab = Buffer.from(names.map((n) => `${n}\0`).join(""), "latin1");
  const offsets = names.map((_, i) => Buffer.byteLength(names.slice(0, i).map((n) => `${n}\0`).join(""), "latin1"));
  const bodies = sections.map(([, size]) => Buffer.alloc(size));
  let at = 64;
  const placed = bodies.map((body) => ((at += body.length), at - body.length));
  const strtabAt = at;
  const shoff = strtabAt + strtab.length;
  const table = Buffer.alloc(names.length * 64);
  const entry = (i: number, type: number, offset: number, size: number) => {
    table.writeUInt32LE(offsets[i]!, i * 64);
    table.writeUInt32LE(type, i * 64 + 4);
    table.writeBigUInt64LE(BigInt(offset), i * 64 + 24);
    table.writeBigUInt64LE(BigInt(size), i * 64 + 32);
  };
  sections.forEach(([, size], i) => entry(i + 1, 1, placed[i]!, size));
  entry(names.length - 1, 3, strtabAt, strtab.length);
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header);
  header.writeUInt16LE(3, 16);
  header.writeUInt16LE(62, 18);
  header.writeBigUInt64LE(BigInt(shoff), 40);
  header.writeUInt16LE(64, 58);
  header.writeUInt16LE(names.length, 60);
  header.writeUInt16LE(names.length - 1, 62);
  return Buffer.concat([header, ...bodies, strtab, table]);
}

function storedZip(entries: Array<[string, Buffer]>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = Buffer.from(name);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(data.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(nameBytes.length, 28);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, data);
    central.push(dir, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}
