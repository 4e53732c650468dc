import { once } from 'node:events';
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { GatewayError } from '@tollgate/common';
import { ChatStreamTranslator, SseSplitter, toUpstreamError } from '@tollgate/providers';
import { ErrorStyle, toProxyErrorBody } from './error-style';
import { MAX_LOGGED_BODY_CHARS } from './exchange';

export interface RelayResult {
  /** Set when the stream broke after it had started (the client got an in-stream error frame). */
  error: GatewayError | null;
  clientDisconnected: boolean;
  /** What the client received, when the key logs responses (bounded). */
  transcript: string | null;
}


/**
 * Relays an upstream SSE body to the client event by event as it arrives, through the
 * provider's translator: nothing is buffered beyond one incomplete event, and a slow client
 * slows the upstream read (backpressure) instead of growing memory. An error after the first
 * byte becomes an SSE `data: {"error":...}` frame, since the status line has already gone.
 */
export async function relaySse(
  upstreamBody: Readable,
  client: ServerResponse,
  translator: ChatStreamTranslator,
  keepTranscript: boolean,
  errorStyle: ErrorStyle,
): Promise<RelayResult> {
  const splitter = new SseSplitter();
  const transcript: string[] = [];
  let transcriptLength = 0;
  const write = async (text: string): Promise<boolean> => {
    if (client.destroyed) return false;
    if (text === '') return true;
    if (keepTranscript && transcriptLength < MAX_LOGGED_BODY_CHARS) {
      transcript.push(text);
      transcriptLength += text.length;
    }
    if (!client.write(text)) await drainOrClose(client);
    return !client.destroyed;
  };
  let error: GatewayError | null = null;
  try {
    for await (const chunk of upstreamBody) {
      let out = '';
      for (const event of splitter.push(chunk as Buffer)) {
        out += translator.push(event);
        if (translator.done) break;
      }
      if (!(await write(out)) || translator.done) break;
    }
    const tail = translator.done ? null : splitter.flush();
    if (tail !== null) await write(translator.push(`${tail}\n\n`));
    await write(translator.end());
  } catch (thrown) {
    if (!client.destroyed) {
      error = toUpstreamError(thrown);
      await write(errorStyle === 'anthropic' ? `event: error\ndata: ${JSON.stringify(toProxyErrorBody(error, errorStyle))}\n\n` : `data: ${JSON.stringify(toProxyErrorBody(error, errorStyle))}\n\n`);
    }
  }
  const clientDisconnected = client.destroyed && !client.writableFinished;
  if (!client.destroyed) client.end();
  // After a disconnect or the translator's end, nothing more is read from the upstream.
  if (clientDisconnected || translator.done) upstreamBody.destroy();
  return { error, clientDisconnected, transcript: keepTranscript ? transcript.join('') : null };
}

/** Waits for the client to drain or go away, then drops both listeners (a long slow stream waits many times). */
async function drainOrClose(client: ServerResponse): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([once(client, 'drain', { signal: done.signal }), once(client, 'close', { signal: done.signal })]);
  } finally {
    done.abort();
  }
}
