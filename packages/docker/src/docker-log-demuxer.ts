import { Transform, type TransformCallback } from "node:stream";
import { DockerFrames } from "./docker-frames.js";

/**
 * The Engine API's multiplexed log stream (8-byte frame headers: stream 1 stdout / 2 stderr, big-endian
 * payload length) as the payload bytes only, in the order the daemon sent them: what `docker logs` prints
 * with stderr merged into stdout. A Transform, so `pipeline()` carries backpressure from the file back to
 * the socket and nothing is buffered beyond one partial frame header. Counts the bytes of each stream.
 */
export class DockerLogDemuxer extends Transform {
  stdoutBytes = 0;
  stderrBytes = 0;
  private readonly frames = new DockerFrames();

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const { stream, payload } of this.frames.push(chunk)) {
      if (stream > 2) {
        callback(new Error(`malformed Docker log stream: frame header names stream ${stream}`));
        return;
      }
      this.push(payload);
      if (stream === 2) this.stderrBytes += payload.length;
      else this.stdoutBytes += payload.length;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const { payloadBytes, partialHeader } = this.frames.owed;
    if (payloadBytes || partialHeader) {
      callback(new Error(`Docker log stream ended inside a frame (${payloadBytes} payload bytes missing)`));
      return;
    }
    callback();
  }
}
