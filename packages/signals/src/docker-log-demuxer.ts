import { Transform, type TransformCallback } from "node:stream";

const HEADER = 8;

/**
 * The Engine API's multiplexed log stream (8-byte frame headers: stream 1 stdout / 2 stderr, big-endian
 * payload length) as the payload bytes only, in the order the daemon sent them: what `docker logs` prints
 * with stderr merged into stdout. A Transform, so `pipeline()` carries backpressure from the file back to
 * the socket and nothing is buffered beyond one partial frame header. Counts the bytes of each stream.
 */
export class DockerLogDemuxer extends Transform {
  stdoutBytes = 0;
  stderrBytes = 0;
  private header = Buffer.alloc(HEADER);
  private headerFill = 0;
  /** Payload bytes still to pass through for the current frame, and its stream. */
  private remaining = 0;
  private stream = 1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(HEADER - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < HEADER) break;
        this.headerFill = 0;
        this.stream = this.header[0]!;
        this.remaining = this.header.readUInt32BE(4);
        if (this.stream > 2) {
          callback(new Error(`malformed Docker log stream: frame header names stream ${this.stream}`));
          return;
        }
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      this.push(chunk.subarray(offset, offset + take));
      if (this.stream === 2) this.stderrBytes += take;
      else this.stdoutBytes += take;
      this.remaining -= take;
      offset += take;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.headerFill !== 0 || this.remaining !== 0) {
      callback(new Error(`Docker log stream ended inside a frame (${this.remaining} payload bytes missing)`));
      return;
    }
    callback();
  }
}
