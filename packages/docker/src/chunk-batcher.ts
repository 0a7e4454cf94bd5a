import { Transform, type TransformCallback } from "node:stream";

/**
 * Joins small chunks (Docker sends its archive in ~20 KB HTTP chunks) into batches of about `size`
 * bytes, so the tar parser and the file writer downstream see a few large buffers instead of tens of
 * thousands of small ones. Memory stays bounded by `size` plus the stream's high-water mark.
 */
export class ChunkBatcher extends Transform {
  private parts: Buffer[] = [];
  private length = 0;

  constructor(private readonly size = 256 * 1024) {
    super({ highWaterMark: size });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.parts.push(chunk);
    this.length += chunk.length;
    if (this.length >= this.size) this.release();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.release();
    callback();
  }

  private release(): void {
    if (this.length === 0) return;
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length));
    this.parts = [];
    this.length = 0;
  }
}
