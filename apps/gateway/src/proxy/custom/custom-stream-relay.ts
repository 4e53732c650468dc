import { once } from 'node:events';
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { OpenAIErrorBody, toOpenAIErrorBody } from '@tollgate/common';
import { CompiledRoute, textAt } from '@tollgate/custom-providers';
import { SseSplitter, sseData, toUpstreamError } from '@tollgate/providers';

export interface CustomStreamResult {
  /** The completion text found at stream_response_completion_location, for token counting. */
  completionText: string;
  /** Set when the stream was cut (upstream failure, too many empty messages). */
  errorCode: string | null;
  clientDisconnected: boolean;
  /** What the client received, when the key logs responses (bounded). */
  transcript: string | null;
}

const MAX_TRANSCRIPT_CHARS = 1_000_000;

/**
 * Relays a custom provider's SSE stream event by event, verbatim: nothing is buffered beyond one
 * incomplete event, and a slow client slows the upstream read (backpressure). Each event's data
 * is read at the route's stream_response_completion_location for token counting. The stream
 * ends after the event whose data is stream_end_word (the upstream is not read further), and is
 * cut with an error event when more than stream_max_empty_messages data-less events arrive in a
 * row. An error after the first byte becomes a `data: {"error":...}` event.
 */
export async function relayCustomStream(upstreamBody: Readable, client: ServerResponse, route: CompiledRoute, keepTranscript: boolean): Promise<CustomStreamResult> {
  const splitter = new SseSplitter();
  const texts: string[] = [];
  const transcript: string[] = [];
  let transcriptLength = 0;
  let emptyInARow = 0;
  let ended = false;
  let errorCode: string | null = null;

  const write = async (text: string): Promise<boolean> => {
    if (client.destroyed) return false;
    if (text === '') return true;
    if (keepTranscript && transcriptLength < MAX_TRANSCRIPT_CHARS) {
      transcript.push(text);
      transcriptLength += text.length;
    }
    if (!client.write(text)) await Promise.race([once(client, 'drain'), once(client, 'close')]);
    return !client.destroyed;
  };
  const fail = async (body: OpenAIErrorBody) => {
    errorCode = body.error.code;
    await write(`data: ${JSON.stringify(body)}\n\n`);
  };

  /** One event → the text to relay; sets `ended` or the error when the stream must stop. */
  const observe = (event: string): string => {
    const data = sseData(event);
    if (data === null || data.trim() === '') {
      emptyInARow += 1;
      if (route.streamMaxEmptyMessages > 0 && emptyInARow > route.streamMaxEmptyMessages) {
        errorCode = 'too_many_empty_stream_messages';
        return '';
      }
      return event;
    }
    emptyInARow = 0;
    const payload = data.trim();
    if (route.streamEndWord !== null && payload === route.streamEndWord) {
      ended = true;
      return event;
    }
    if (route.streamCompletion) {
      try {
        texts.push(textAt(JSON.parse(payload), route.streamCompletion));
      } catch {
        // Not JSON: relayed as it is, nothing to count.
      }
    }
    return event;
  };

  try {
    for await (const chunk of upstreamBody) {
      let out = '';
      for (const event of splitter.push(chunk as Buffer)) {
        out += observe(event);
        if (ended || errorCode) break;
      }
      if (!(await write(out))) break;
      if (ended || errorCode) break;
    }
    if (!ended && !errorCode && !client.destroyed) {
      const tail = splitter.flush();
      if (tail !== null) await write(observe(`${tail}\n\n`));
    }
    if (errorCode === 'too_many_empty_stream_messages') {
      await fail({
        error: {
          message: `The custom provider sent more than ${route.streamMaxEmptyMessages} empty stream messages in a row; the stream was cut.`,
          type: 'api_error',
          param: null,
          code: 'too_many_empty_stream_messages',
        },
      });
    }
  } catch (thrown) {
    if (!client.destroyed) await fail(toOpenAIErrorBody(toUpstreamError(thrown)));
  }
  const clientDisconnected = client.destroyed && !client.writableFinished;
  if (!client.destroyed) client.end();
  // After the end word, an error or a disconnect, nothing more is read from the upstream.
  if (!upstreamBody.destroyed) upstreamBody.destroy();
  return { completionText: texts.join(''), errorCode, clientDisconnected, transcript: keepTranscript ? transcript.join('') : null };
}
