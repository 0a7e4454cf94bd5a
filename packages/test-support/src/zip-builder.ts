import { crc32, deflateRawSync } from "node:zlib";

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** "deflate" (default, like maturin's wheels) or "store". */
  method?: "deflate" | "store";
}

/** A zip archive (a wheel) in memory: local headers, central directory, end record. */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.from(entry.data);
    const method = entry.method === "store" ? 0 : 8;
    const body = method === 8 ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name, "utf8");
    const crc = crc32(data) >>> 0;
    const fields = { method, crc, compressedSize: body.length, size: data.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, fields);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by: Unix, zip 3.0
    writeEntryFields(central, 6, fields);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/**
 * The fields a local header and its central directory entry share, in the same order from "version
 * needed" on (local header offset 4, central entry offset 6): no flags, a fixed DOS date, no extra field.
 */
function writeEntryFields(header: Buffer, at: number, f: { method: number; crc: number; compressedSize: number; size: number; nameLength: number }): void {
  header.writeUInt16LE(20, at); // version needed: 2.0
  header.writeUInt16LE(0, at + 2); // flags
  header.writeUInt16LE(f.method, at + 4);
  header.writeUInt16LE(0, at + 6); // time
  header.writeUInt16LE(0x21, at + 8); // date: 1980-01-01
  header.writeUInt32LE(f.crc, at + 10);
  header.writeUInt32LE(f.compressedSize, at + 14);
  header.writeUInt32LE(f.size, at + 18);
  header.writeUInt16LE(f.nameLength, at + 22);
  header.writeUInt16LE(0, at + 24); // extra field length
}

/** A maturin-like wheel of `pyo3_demo` holding `module` as its extension module. */
export function demoWheel(module: Buffer, method: "deflate" | "store" = "deflate"): Buffer {
  return buildZip([
    { name: "pyo3_demo/__init__.py", data: "from .pyo3_demo import *\n" },
    { name: "pyo3_demo/pyo3_demo.abi3.so", data: module, method },
    { name: "pyo3_demo-0.1.0.dist-info/METADATA", data: "Metadata-Version: 2.4\nName: pyo3-demo\nVersion: 0.1.0\n" },
    { name: "pyo3_demo-0.1.0.dist-info/WHEEL", data: "Wheel-Version: 1.0\nGenerator: maturin\nRoot-Is-Purelib: false\nTag: cp39-abi3-linux_x86_64\n" },
    { name: "pyo3_demo-0.1.0.dist-info/RECORD", data: "" },
  ]);
}
