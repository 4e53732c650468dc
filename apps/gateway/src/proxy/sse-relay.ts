import { once } from 'node:events';
import { ServerResponse } from 'node:http';
import { GatewayError, toOpenAIErrorBody } from '@tollgate/common';
import { OpenAIStreamObserver, SseSplitter, toUpstreamError } from '@tollgate/providers';
import { Readable } from 'node:stream';

export interface RelayResult {
  /** Set when the stream broke after it had started (the client got an in-stream error frame). */
  error: GatewayError | null;
  clientDisconnected: boolean;
  /** What the client received, when the key logs responses (bounded). */
  transcript: string | null;
}

const MAX_TRANSCRIPT_CHARS = 1_000_000;

/**
 * Relays an upstream SSE body to the client event by event as it arrives: nothing is
 * buffered beyond one incomplete event, and a slow client slows the upstream read
 * (backpressure) instead of growing memory. An error after the first byte becomes an SSE
 * `data: {"error":...}` frame, since the status line has already gone.
 */
export async function relaySse(
  upstreamBody: Readable,
  client: ServerResponse,
  observer: OpenAIStreamObserver,
  keepTranscript: boolean,
): Promise<RelayResult> {
  const splitter = new SseSplitter();
  const transcript: string[] = [];
  let transcriptLength = 0;
  const record = (text: string) => {
    if (!keepTranscript || transcriptLength >= MAX_TRANSCRIPT_CHARS) return;
    transcript.push(text);
    transcriptLength += text.length;
  };
  const write = async (text: string): Promise<boolean> => {
    if (client.destroyed) return false;
    record(text);
    if (!client.write(text)) {
      await Promise.race([once(client, 'drain'), once(client, 'close')]);
    }
    return !client.destroyed;
  };
  let error: GatewayError | null = null;
  try {
    for await (const chunk of upstreamBody) {
      const out = splitter.push(chunk as Buffer).filter((event) => observer.observe(event)).join('');
      if (out && !(await write(out))) break;
    }
    const tail = splitter.flush();
    if (tail !== null && observer.observe(tail)) await write(tail);
  } catch (thrown) {
    if (!client.destroyed) {
      error = toUpstreamError(thrown);
      await write(`data: ${JSON.stringify(toOpenAIErrorBody(error))}\n\n`);
    }
  }
  const clientDisconnected = client.destroyed && !client.writableFinished;
  if (!client.destroyed) client.end();
  if (clientDisconnected) upstreamBody.destroy();
  return { error, clientDisconnected, transcript: keepTranscript ? transcript.join('') : null };
}
