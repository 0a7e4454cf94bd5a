import { Transform, type TransformCallback } from "node:stream";
import { DockerFrames } from "./docker-frames.js";

/**
 * Splits Docker's multiplexed attach stream into stdout, which it passes on as a readable stream WITH
 * backpressure, and stderr, which goes to a callback. docker-modem's demuxStream ignores backpressure;
 * this one is for long byte streams (port relays).
 */
export class DockerStreamDemuxer extends Transform {
  private readonly frames = new DockerFrames();

  constructor(private readonly onStderr: (chunk: Buffer) => void = () => undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const { stream, payload } of this.frames.push(chunk)) {
      if (stream === 2) this.onStderr(payload);
      else if (stream === 1) this.push(payload);
    }
    callback();
  }
}
