import { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';

interface Hold {
  bytes: number;
  /** The response closed: the hold is given back, and nothing more is taken for it. */
  released: boolean;
}

/**
 * The proxy's request bodies held at once, in bytes, across requests (MAX_BODY_BYTES_IN_FLIGHT).
 * MAX_BODY_BYTES bounds one body, not how many are held together: a body is kept as bytes, text,
 * parsed JSON and the JSON sent upstream (a 30 MB body took a gateway 150 MB), for as long as
 * its exchange lasts, a stream included. Twenty 30 MB requests at once took a gateway to 1.65 GB,
 * fifty to 5.8 GB, enough to kill it and every exchange with it. Past the bound a request is
 * refused before its body is read, with a 503 and a retry-after the SDKs obey.
 *
 * A body of declared length is held whole when its request arrives; a chunked one chunk by chunk
 * as it is read (see `counted`). What is held is given back when the response closes.
 */
export class BodyBudget {
  private held = 0;
  /** Chunked bodies, counted as they are read. */
  private readonly counting = new WeakMap<IncomingMessage, Hold>();

  /** `maxBodyBytes`: one body's bound (MAX_BODY_BYTES), past which Fastify answers 413 unread. */
  constructor(
    readonly maxBytes: number,
    private readonly maxBodyBytes: number,
  ) {}

  get heldBytes(): number {
    return this.held;
  }

  /** Holds the request's body until its response closes; false (holding nothing) when it would pass the bound. */
  admit(request: IncomingMessage, response: ServerResponse): boolean {
    const hold: Hold = { bytes: 0, released: false };
    const declared = request.headers['content-length'];
    // Node's parser refuses a request with both Content-Length and Transfer-Encoding.
    if (declared !== undefined) {
      // A body past MAX_BODY_BYTES is refused 413 by Fastify, unread: held, it was a 503 the SDKs retry.
      if (Number(declared) > this.maxBodyBytes) return true;
      if (!this.take(hold, Number(declared))) return false;
    } else {
      this.counting.set(request, hold);
    }
    response.once('close', () => {
      hold.released = true;
      this.held -= hold.bytes;
      hold.bytes = 0;
    });
    return true;
  }

  /** The body stream Fastify reads: a chunked body's chunks are held as they come, and refused past the bound. */
  counted(request: IncomingMessage, payload: Readable): Readable {
    const hold = this.counting.get(request);
    if (hold === undefined) return payload;
    const counter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => (this.take(hold, chunk.length) ? callback(null, chunk) : callback(busyError())),
    });
    payload.once('error', (error) => counter.destroy(error));
    return payload.pipe(counter);
  }

  private take(hold: Hold, bytes: number): boolean {
    if (hold.released || this.held + bytes > this.maxBytes) return false;
    this.held += bytes;
    hold.bytes += bytes;
    return true;
  }
}

export function busyError(): GatewayError {
  return new GatewayError(GatewayErrorCode.Overloaded, 'The gateway is holding as many request bodies as it can right now; retry shortly.', null, { 'retry-after': '1' });
}
