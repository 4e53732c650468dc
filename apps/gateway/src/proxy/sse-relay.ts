import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ChatStreamTranslator, SseSplitter, redactText, secretForms, toUpstreamError } from '@tollgate/providers';
import { ErrorStyle, toProxyErrorBody } from './error-style';
import { MAX_LOGGED_BODY_CHARS } from './exchange';

export interface RelayResult {
  /** Set when the stream broke after it had started (the client got an in-stream error frame). */
  error: GatewayError | null;
  clientDisconnected: boolean;
  /** What the client received, when the key logs responses (bounded). */
  transcript: string | null;
}

export interface RelayOptions {
  /** Keep what the client received, for the event (bounded). */
  keepTranscript: boolean;
  errorStyle: ErrorStyle;
  /** The provider credential's values, replaced in what the stream writes that carries an error. */
  secrets?: readonly string[];
  doneGraceMs?: number;
}

/** How long an upstream may take to end its body after the answer's end before it is cut. */
const DONE_GRACE_MS = 2_000;

/**
 * Relays an upstream SSE body to the client event by event as it arrives, through the
 * provider's translator: nothing is buffered beyond one incomplete event, and a slow client
 * slows the upstream read (backpressure: the upstream is paused until the client drains)
 * instead of growing memory. An error after the first byte becomes an SSE `data: {"error":...}`
 * frame, since the status line has already gone.
 *
 * Driven by the body's events rather than `for await`: the async iterator and the promises of
 * each chunk cost about 0.2 ms of CPU per stream of a dozen events, and 0.1 ms before the first
 * token reached the client.
 */
export function relaySse(upstreamBody: Readable, client: ServerResponse, translator: ChatStreamTranslator, options: RelayOptions): Promise<RelayResult> {
  const { keepTranscript, errorStyle, secrets = [], doneGraceMs = DONE_GRACE_MS } = options;
  return new Promise((resolve) => {
    const splitter = new SseSplitter();
    const transcript: string[] = [];
    let transcriptLength = 0;
    let error: GatewayError | null = null;
    let finished = false;
    /** The translator saw the answer's end ([DONE], message_stop): the client has all of it. */
    let completed = false;
    let graceTimer: NodeJS.Timeout | null = null;

    /**
     * One relayed event without the provider credential, if it carries an error: only error
     * frames, since a model's own words may spell a placeholder key (LM Studio's "lm-studio"),
     * and an answer is not redacted in a stream where it is not when sent whole.
     */
    let forms: string[] | null = null;
    const safe = (event: string): string => {
      if (secrets.length === 0 || !event.includes('error')) return event;
      // Worked out at the first error event: most streams have none.
      forms ??= secretForms(secrets);
      return redactText(event, forms);
    };

    /** Writes to the client; false when it wants no more until it drains. */
    const send = (text: string): boolean => {
      if (text === '' || client.destroyed) return true;
      if (keepTranscript && transcriptLength < MAX_LOGGED_BODY_CHARS) {
        transcript.push(text);
        transcriptLength += text.length;
      }
      return client.write(text);
    };

    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (graceTimer) clearTimeout(graceTimer);
      // onError stays: destroying the body below makes undici emit an abort error, which must
      // find a listener (it does nothing once finished).
      upstreamBody.off('data', onData).off('data', discard).off('end', onEnd).off('close', onUpstreamClose);
      client.off('drain', onDrain).off('close', onClose);
      const clientDisconnected = !completed && client.destroyed && !client.writableFinished;
      if (!client.destroyed) client.end();
      // Whatever ended the relay before the upstream did (the client left, the translator is
      // done or failed), nothing more is read from the upstream: its connection is cut, and the
      // provider stops generating. (Removing the data listener alone would not pause the body.)
      if (!upstreamBody.readableEnded) upstreamBody.destroy();
      settle(clientDisconnected);
    };

    /** The relay's outcome, once: at the answer's end, or when the relay stops short of it. */
    const settle = (clientDisconnected: boolean): void => {
      resolve({ error, clientDisconnected, transcript: keepTranscript ? transcript.join('') : null });
    };

    /**
     * The answer is complete: the client's response ends now, whatever the upstream does next.
     * Whatever else the upstream sends is read and dropped (an error or a reset after the end
     * changes nothing), so that its connection can be reused when it ends as it should; one that
     * does not end within doneGraceMs is cut.
     */
    const complete = (): void => {
      if (completed) return;
      completed = true;
      send(translator.end());
      client.off('drain', onDrain);
      if (!client.destroyed) client.end();
      // The exchange is over for the client and the bill: its event does not wait for the drain.
      settle(false);
      upstreamBody.off('data', onData).on('data', discard);
      upstreamBody.resume();
      graceTimer = setTimeout(finish, doneGraceMs);
    };

    const onError = (thrown: unknown): void => {
      if (finished) return;
      if (completed) return finish();
      if (!client.destroyed) {
        error = toUpstreamError(thrown);
        const body = JSON.stringify(toProxyErrorBody(error, errorStyle));
        send(errorStyle === 'anthropic' ? `event: error\ndata: ${body}\n\n` : `data: ${body}\n\n`);
      }
      finish();
    };

    const onData = (chunk: Buffer): void => {
      try {
        let out = '';
        for (const event of splitter.push(chunk)) {
          out += safe(translator.push(event));
          if (translator.done) break;
        }
        const more = send(out);
        if (client.destroyed) return finish();
        if (translator.done) return complete();
        if (!more) upstreamBody.pause();
      } catch (thrown) {
        onError(thrown);
      }
    };

    const onEnd = (): void => {
      if (completed) return finish();
      try {
        const tail = splitter.flush();
        if (tail !== null) send(safe(translator.push(`${tail}\n\n`)));
        send(translator.end());
        finish();
      } catch (thrown) {
        onError(thrown);
      }
    };

    // Closed without an end or an error (for await would throw a premature close here too).
    const onUpstreamClose = (): void => onError(new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'the upstream provider closed the stream before its end'));

    const discard = (): void => {};

    const onDrain = (): void => {
      upstreamBody.resume();
    };
    // The client left (or the response ended): stop relaying.
    const onClose = (): void => {
      if (!completed) finish();
    };

    client.on('drain', onDrain).on('close', onClose);
    upstreamBody.on('error', onError);
    // A body that failed before the relay began emits nothing more (an error event may still be
    // on its way: the listener above takes it).
    if (upstreamBody.errored || upstreamBody.destroyed) {
      return onError(upstreamBody.errored ?? new GatewayError(GatewayErrorCode.UpstreamUnreachable, 'the upstream provider closed the stream before it was read'));
    }
    upstreamBody.on('end', onEnd).on('close', onUpstreamClose).on('data', onData);
  });
}
