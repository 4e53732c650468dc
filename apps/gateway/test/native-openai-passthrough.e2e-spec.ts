import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { FAKE_SPEECH_BYTES, FakeOpenAI } from './support/fake-openai';
import { createKey, createSetting, eventFor } from './support/provider-e2e';
import { TestStack, startTestStack } from './support/test-stack';

/**
 * OpenAI's remaining native paths (files, audio, ...) relayed as they are: multipart uploads
 * reach OpenAI byte for byte, binary answers come back byte for byte, each with an event.
 */

const CLIENT_KEY = 'tg-passthrough-e2e-key';
const WHISPER_KEY = 'tg-passthrough-whisper-only';

describe('OpenAI native passthrough (e2e): multipart uploads and binary answers', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  /** What the SDK actually put on the wire, to compare with what the upstream received. */
  const sent: Array<{ url: string; headers: Headers; body: Buffer | null }> = [];

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    // A short total timeout, for an upstream that stalls (the tests' calls take milliseconds).
    stack = await startTestStack({ UPSTREAM_TOTAL_TIMEOUT_MS: '3000' });
    const setting = await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: upstream.baseUrl });
    await createKey(stack, CLIENT_KEY, [setting]);
    const whisperOnly = await createSetting(stack, 'openai', { apiKey: 'sk-upstream-secret', url: upstream.baseUrl }, { allowedModels: ['whisper-1'] });
    await createKey(stack, WHISPER_KEY, [whisperOnly]);
  });

  afterAll(async () => {
    await stack?.close();
    await upstream?.stop();
  });

  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input as string, init);
    const body = request.body ? Buffer.from(await request.clone().arrayBuffer()) : null;
    sent.push({ url: request.url, headers: request.headers, body });
    return fetch(request);
  };
  const sdk = () => new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${stack.proxyUrl}/api/providers/openai/v1`, maxRetries: 0, fetch: recordingFetch });
  const withId = (customId: string) => ({ headers: { 'x-custom-event-id': customId } });

  it('files.create: the multipart body reaches OpenAI intact (boundary and bytes), the credential swapped', async () => {
    const bytes = Buffer.concat([Buffer.from('{"custom_id":"r1"}\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n--not-a-boundary\r\n')]);
    const file = await sdk().files.create({ file: await toFile(bytes, 'batch input.jsonl', { type: 'application/jsonl' }), purpose: 'batch' }, withId('files-upload'));
    expect(file).toMatchObject({ id: 'file-fake1', object: 'file', bytes: bytes.length, filename: 'batch input.jsonl', purpose: 'batch' });

    const client = sent[sent.length - 1];
    const received = upstream.lastRequest();
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/v1/files');
    expect(received.headers['content-type']).toBe(client.headers.get('content-type'));
    expect(received.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received.raw.equals(client.body!)).toBe(true);
    expect(received.headers.authorization).toBe('Bearer sk-upstream-secret');
    expect(JSON.stringify(received.headers)).not.toContain(CLIENT_KEY);
    const parts = upstream.uploads[upstream.uploads.length - 1];
    const uploaded = parts.find((part) => part.name === 'file')!;
    expect(uploaded).toMatchObject({ filename: 'batch input.jsonl', contentType: 'application/jsonl' });
    expect(uploaded.data.equals(bytes)).toBe(true);
    expect(parts.find((part) => part.name === 'purpose')!.data.toString()).toBe('batch');

    const event = await eventFor(stack, 'files-upload');
    expect(event).toMatchObject({ provider: 'openai', path: '/api/providers/openai/v1/files', method: 'POST', status: 200, stream: false, prompt_token_count: 0, completion_token_count: 0, token_count_estimated: false });
  });

  it('audio.speech.create: the binary answer comes back byte-identical, with its content type', async () => {
    const { data: speech, response } = await sdk()
      .audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello there', response_format: 'mp3' }, withId('speech-1'))
      .withResponse();
    const audio = Buffer.from(await speech.arrayBuffer());
    expect(audio.length).toBe(FAKE_SPEECH_BYTES.length);
    expect(audio.equals(FAKE_SPEECH_BYTES)).toBe(true);
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstream.lastRequest()).toMatchObject({ path: '/v1/audio/speech', body: { model: 'gpt-4o-mini-tts', voice: 'alloy', input: 'Hello there', response_format: 'mp3' } });

    const event = await eventFor(stack, 'speech-1');
    expect(event).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini-tts', path: '/api/providers/openai/v1/audio/speech', status: 200, token_count_estimated: false, completion_token_count: 0, price_known: false, cost_in_usd: null });
    expect(String(event.response ?? '')).not.toContain('\ufffd');
  });

  it('binary answers the upstream breaks off are recorded as its failure, not as a client that left', async () => {
    const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': 'speech-break' },
      body: JSON.stringify({ model: 'gpt-4o-mini-tts', voice: 'break', input: 'Hello there' }),
    });
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(await eventFor(stack, 'speech-break')).toMatchObject({ status: 200, error_code: 'upstream_unreachable' });
  });

  it('a binary answer that fails before its first byte is a 502 or 504 in OpenAI\'s shape, recorded as such', async () => {
    for (const [voice, status, code] of [
      ['reset', 502, 'upstream_unreachable'],
      ['stall', 504, 'upstream_timeout'],
    ] as const) {
      const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-custom-event-id': `speech-${voice}` },
        body: JSON.stringify({ model: 'gpt-4o-mini-tts', voice, input: 'Hello there' }),
      });
      // Nothing of the answer had gone out: the client hears what failed, not a gateway fault.
      expect([voice, response.status, await response.json()]).toEqual([voice, status, { error: { message: expect.any(String), type: 'api_error', param: null, code } }]);
      expect(await eventFor(stack, `speech-${voice}`)).toMatchObject({ provider: 'openai', status, error_code: code });
    }
    expect(stack.logs.join('\n')).not.toContain('internal_error');
    // An empty answer is no failure: it is relayed as it came.
    const silence = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini-tts', voice: 'silence', input: 'Hello there' }),
    });
    expect([silence.status, silence.headers.get('content-type'), (await silence.arrayBuffer()).byteLength]).toEqual([200, 'audio/mpeg', 0]);
  });

  it('assistants: a streamed run reaches the client whole (usage-bearing events included) and is priced', async () => {
    const queued = await sdk().beta.threads.runs.create('thread_fake1', { assistant_id: 'asst_fake1' });
    expect(queued).toMatchObject({ id: 'run_fake1', status: 'queued' });

    const stream = sdk().beta.threads.runs.stream('thread_fake1', { assistant_id: 'asst_fake1' }, withId('run-stream'));
    const events: string[] = [];
    stream.on('event', (event) => events.push(event.event));
    const run = await stream.finalRun();
    expect(run).toMatchObject({ id: 'run_fake1', status: 'completed', usage: FakeOpenAI.RUN_USAGE });
    expect(events).toEqual([
      'thread.run.created',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.message.created',
      'thread.message.delta',
      'thread.message.delta',
      'thread.message.delta',
      'thread.message.completed',
      'thread.run.step.completed',
      'thread.run.completed',
    ]);
    const [message] = await stream.finalMessages();
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: { value: 'Hello there', annotations: [] } })]);
    // An assistants stream is not a chat stream: nothing is added to the client's request.
    expect(upstream.lastRequest().body).toEqual({ assistant_id: 'asst_fake1', stream: true });

    const event = await eventFor(stack, 'run-stream');
    expect(event).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', stream: true, status: 200, prompt_token_count: 20, completion_token_count: 11, token_count_estimated: false, price_known: true });
    expect(event.cost_in_usd).toBeCloseTo(20 * (0.15 / 1e6) + 11 * (0.6 / 1e6), 12);
  });

  describe('uploads that name their model inside the form (audio transcriptions)', () => {
    const whisperSdk = () => new OpenAI({ apiKey: WHISPER_KEY, baseURL: `${stack.proxyUrl}/api/providers/openai/v1`, maxRetries: 0 });
    const audio = () => toFile(Buffer.from('RIFF fake wave bytes'), 'hello.wav', { type: 'audio/wav' });

    it('relays an allowed model and records it on the event', async () => {
      const transcription = await whisperSdk().audio.transcriptions.create({ file: await audio(), model: 'whisper-1' }, withId('transcribe-ok'));
      expect(transcription.text).toBe('Hello there.');
      const parts = upstream.uploads[upstream.uploads.length - 1];
      expect(parts.find((part) => part.name === 'model')!.data.toString()).toBe('whisper-1');
      expect(await eventFor(stack, 'transcribe-ok')).toMatchObject({ model: 'whisper-1', path: '/api/providers/openai/v1/audio/transcriptions', status: 200, price_known: false });
    });

    it('prices a token-billed transcription, its audio at the audio rate', async () => {
      await sdk().audio.transcriptions.create({ file: await audio(), model: 'gpt-4o-transcribe' }, withId('transcribe-tokens'));
      const event = await eventFor(stack, 'transcribe-tokens');
      expect(event).toMatchObject({ model: 'gpt-4o-transcribe', prompt_token_count: 14, completion_token_count: 45, price_known: true });
      // gpt-4o-transcribe: audio $6 per million prompt tokens, output $10.
      expect(event.cost_in_usd).toBeCloseTo((14 * 6 + 45 * 10) / 1e6, 12);
    });

    it("refuses a model outside the setting's allowedModels before any upstream call", async () => {
      const before = upstream.requests.length;
      const error = await whisperSdk()
        .audio.transcriptions.create({ file: await audio(), model: 'gpt-4o-transcribe' }, withId('transcribe-refused'))
        .then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error).toMatchObject({ status: 403, code: 'model_not_allowed', param: 'model' });
      expect(upstream.requests.length).toBe(before);
      expect(await eventFor(stack, 'transcribe-refused')).toMatchObject({ model: 'gpt-4o-transcribe', status: 403 });
    });

    it('refuses a restricted key an operation that names no model (the provider would pick its default)', async () => {
      const before = upstream.requests.length;
      const error = await whisperSdk()
        .images.generate({ prompt: 'a lighthouse at dusk' }, withId('image-no-model'))
        .then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error).toMatchObject({ status: 403, code: 'model_not_allowed', param: 'model' });
      expect((error as Error).message).toContain('name one');
      expect(upstream.requests.length).toBe(before);
    });

    it('refuses a restricted key the operations that run a model they do not name (runs, batches), not the ones that run none', async () => {
      const call = (path: string, body: object) =>
        fetch(`${stack.proxyUrl}/api/providers/openai/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${WHISPER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const before = upstream.requests.length;
      for (const [path, body] of [
        ['/threads/thread_x/runs', { assistant_id: 'asst_gpt4o' }],
        ['/threads/runs', { assistant_id: 'asst_gpt4o' }],
        ['/batches', { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h' }],
        ['/responses', { prompt: { id: 'pmpt_1' } }],
      ] as const) {
        const response = await call(path, body);
        expect({ path, status: response.status }).toEqual({ path, status: 403 });
        expect(await response.json()).toMatchObject({ error: { code: 'model_not_allowed' } });
      }
      expect(upstream.requests.length).toBe(before);
      // Naming a model: an allowed one gets through, another does not; a batch never does.
      expect((await call('/threads/thread_x/runs', { assistant_id: 'asst_gpt4o', model: 'gpt-4o' })).status).toBe(403);
      expect((await call('/batches', { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h', model: 'whisper-1' })).status).toBe(403);
      expect(upstream.requests.length).toBe(before);
      const allowedRun = await call('/threads/thread_x/runs', { assistant_id: 'asst_gpt4o', model: 'whisper-1' });
      expect(allowedRun.status).not.toBe(403);
      expect(upstream.requests[upstream.requests.length - 1].path).toBe('/v1/threads/thread_x/runs');
      // Submitting tool outputs continues a run checked when it began; adding a message to a thread runs no model.
      const toolOutputs = await call('/threads/thread_x/runs/run_1/submit_tool_outputs', { tool_outputs: [] });
      expect(toolOutputs.status).not.toBe(403);
      const message = await call('/threads/thread_x/messages', { role: 'user', content: 'hi' });
      expect(message.status).not.toBe(403);
      expect(upstream.requests[upstream.requests.length - 1].path).toBe('/v1/threads/thread_x/messages');
    });

    it('checks the newer operations that run a model (videos, realtime sessions, eval runs), reading a nested model where it is', async () => {
      const call = (path: string, body: object) =>
        fetch(`${stack.proxyUrl}/api/providers/openai/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${WHISPER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const before = upstream.requests.length;
      for (const [path, body] of [
        ['/videos', { prompt: 'a lighthouse at dusk' }],
        ['/videos', { prompt: 'a lighthouse at dusk', model: 'sora-2' }],
        ['/videos/video_1/remix', { prompt: 'at dawn' }],
        ['/realtime/sessions', { voice: 'alloy' }],
        // The session's model is the one that runs; a top-level one is not read.
        ['/realtime/client_secrets', { session: { type: 'realtime', model: 'gpt-realtime' } }],
        ['/realtime/client_secrets', { model: 'whisper-1', session: { type: 'realtime' } }],
        ['/realtime/transcription_sessions', { input_audio_transcription: { model: 'gpt-4o-transcribe' } }],
        // An eval run's models are in its data source and graders: never for a restricted key.
        ['/evals/eval_1/runs', { data_source: { type: 'completions', model: 'whisper-1' }, model: 'whisper-1' }],
      ] as const) {
        const response = await call(path, body);
        expect({ path, body, status: response.status }).toEqual({ path, body, status: 403 });
        expect(await response.json()).toMatchObject({ error: { code: 'model_not_allowed' } });
      }
      expect(upstream.requests.length).toBe(before);
      const allowed = await call('/realtime/client_secrets', { session: { type: 'realtime', model: 'whisper-1' } });
      expect(allowed.status).not.toBe(403);
      expect(upstream.requests[upstream.requests.length - 1].path).toBe('/v1/realtime/client_secrets');
    });

    it('refuses a restricted key any other write whose model it cannot read (a grader run, a realtime call), on both bases; deleting a model is checked on /v1 too', async () => {
      const before = upstream.requests.length;
      for (const base of ['/api/providers/openai/v1', '/v1']) {
        const grader = await fetch(`${stack.proxyUrl}${base}/fine_tuning/alpha/graders/run`, {
          method: 'POST',
          headers: { authorization: `Bearer ${WHISPER_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ grader: { type: 'score_model', name: 'g', model: 'o3', input: [{ role: 'user', content: 'x' }] }, model_sample: 'hi' }),
        });
        expect({ base, status: grader.status }).toEqual({ base, status: 403 });
        expect(await grader.json()).toMatchObject({ error: { code: 'model_not_allowed' } });
        const form = new FormData();
        form.append('sdp', 'v=0');
        form.append('session', JSON.stringify({ type: 'realtime', model: 'gpt-realtime' }));
        const call = await fetch(`${stack.proxyUrl}${base}/realtime/calls`, { method: 'POST', headers: { authorization: `Bearer ${WHISPER_KEY}` }, body: form });
        expect({ base, status: call.status }).toEqual({ base, status: 403 });
        const deleted = await fetch(`${stack.proxyUrl}${base}/models/ft:gpt-4o:acme:x`, { method: 'DELETE', headers: { authorization: `Bearer ${WHISPER_KEY}` } });
        expect({ base, status: deleted.status }).toEqual({ base, status: 403 });
      }
      expect(upstream.requests.length).toBe(before);
      // Writes that run no model still go through: an upload, a vector store, modifying an
      // assistant or a run, pausing a fine-tuning job, hanging up a realtime call.
      for (const [path, body] of [
        ['/uploads', { purpose: 'assistants', filename: 'a.txt', bytes: 2, mime_type: 'text/plain' }],
        ['/vector_stores', { name: 'docs' }],
        ['/assistants/asst_abc', { name: 'renamed', instructions: 'Be brief.' }],
        ['/threads/thread_x/runs/run_1', { metadata: { team: 'a' } }],
        ['/fine_tuning/jobs/ftjob_abc/pause', {}],
        ['/realtime/calls/rtc_abc/hangup', {}],
      ] as const) {
        const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${WHISPER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect({ path, status: response.status }).not.toEqual({ path, status: 403 });
        expect(upstream.requests[upstream.requests.length - 1].path).toBe(`/v1${path}`);
      }
    });

    it('classifies an operation as the provider reads its path: percent-encoded letters and case do not escape the checks; empty segments are not relayed', async () => {
      const call = (path: string, body: object) =>
        fetch(`${stack.proxyUrl}/api/providers/openai/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${WHISPER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const before = upstream.requests.length;
      for (const path of ['/threads/thread_x/r%75ns', '/%72esponses', '/Responses', '/b%61tches']) {
        const response = await call(path, { assistant_id: 'asst_gpt4o', prompt: { id: 'pmpt_1' }, input_file_id: 'file-1' });
        expect({ path, status: response.status }).toEqual({ path, status: 403 });
      }
      // An empty segment is another spelling of an operation: not relayed at all.
      for (const path of ['/responses/', '/threads//runs', '//responses']) {
        const response = await call(path, { assistant_id: 'asst_gpt4o', prompt: { id: 'pmpt_1' } });
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
        expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
      }
      // The router decodes too: an encoded chat completion is one, and must name its model.
      const chat = await call('/chat/c%6Fmpletions', { messages: [{ role: 'user', content: 'hi' }] });
      expect(chat.status).toBe(400);
      expect(await chat.json()).toMatchObject({ error: { param: 'model' } });
      expect(upstream.requests.length).toBe(before);
    });

    it('refuses a form that names the model twice (the check and the provider could read different ones)', async () => {
      const before = upstream.requests.length;
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('RIFF')], { type: 'audio/wav' }), 'hello.wav');
      form.append('model', 'whisper-1');
      form.append('model', 'gpt-4o-transcribe');
      const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${WHISPER_KEY}` }, body: form });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'model', message: expect.stringContaining('more than once') } });
      expect(upstream.requests.length).toBe(before);
    });
    it('refuses a form cut off inside its file part, and keeps serving', async () => {
      const before = upstream.requests.length;
      const truncated = '--X\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF';
      const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/audio/transcriptions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${WHISPER_KEY}`, 'content-type': 'multipart/form-data; boundary=X' },
        body: truncated,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('multipart form could not be read') } });
      expect(upstream.requests.length).toBe(before);
      // The part's own error comes a tick later; the process is still there to answer.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const transcription = await whisperSdk().audio.transcriptions.create({ file: await audio(), model: 'whisper-1' });
      expect(transcription.text).toBe('Hello there.');
    });
  });

  it('reads an absolute URL in the request line as its path: the host in it never reaches the upstream URL', async () => {
    const { port } = new URL(stack.proxyUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET http://aaaaaaaaaaaaaaaaa.evil.example/api/providers/openai/v1/models?limit=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${CLIENT_KEY}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.once('error', reject);
      socket.once('close', () => resolve(text));
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const relayed = upstream.requests[upstream.requests.length - 1];
    expect({ method: relayed.method, path: relayed.path, query: relayed.query }).toEqual({ method: 'GET', path: '/v1/models', query: 'limit=2' });
  });

  /** Sends a request line exactly as written (fetch would normalize it) and returns the status. */
  const rawRequest = (requestLine: string, key: string, body: object) => {
    const { port } = new URL(stack.proxyUrl);
    const payload = JSON.stringify(body);
    return new Promise<number>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`${requestLine} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.once('error', reject);
      socket.once('close', () => resolve(Number(text.split(' ')[1])));
    });
  };

  it('serves a catch-all only below its prefix as written: a percent-encoded prefix cannot shift the relayed path', async () => {
    const before = upstream.requests.length;
    // Cut by length, /v%31/responses left "31/responses", which joined to the base's /v1 became /v131/responses.
    for (const line of ['POST /v%31/responses', 'POST /%761/responses', 'POST /api/providers/openai/v%31/responses', 'POST /api/providers/open%61i/v1/responses']) {
      expect([line, await rawRequest(line, CLIENT_KEY, { model: 'gpt-4o-mini', input: 'hi' })]).toEqual([line, 404]);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a fragment in the request line, which the router, the checks and the upstream client would each read differently', async () => {
    const before = upstream.requests.length;
    for (const line of ['POST /v1/batches#x', 'POST /v1/responses#x', 'POST /api/providers/openai/v1/batches#x', 'GET /v1/models?limit=1#x']) {
      expect([line, await rawRequest(line, WHISPER_KEY, { input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h', input: 'hi', prompt: { id: 'p' } })]).toEqual([line, 400]);
    }
    expect(upstream.requests.length).toBe(before);
  });

  it('relays a JSON body that is not an object as it came, for the provider to read or refuse (it was dropped)', async () => {
    const response = await fetch(`${stack.proxyUrl}/api/providers/openai/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: '[1,2,3]',
    });
    await response.arrayBuffer();
    expect(upstream.lastRequest()).toMatchObject({ method: 'POST', path: '/v1/responses', body: [1, 2, 3] });
    expect(upstream.lastRequest().raw.toString()).toBe('[1,2,3]');
  });

  it('relays a bodiless request that declares JSON (the Python SDK sends content-type: application/json on every call): cancels and deletes', async () => {
    // What httpx sends for the Python SDK's responses.cancel() and a DELETE of requests': content-length 0.
    const bodiless = (method: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const url = new URL(`${stack.proxyUrl}${path}`);
        const headers = { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'content-length': '0' };
        httpRequest({ host: url.hostname, port: url.port, method, path: url.pathname, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        })
          .on('error', reject)
          .end();
      });
    // An empty body that says it is JSON was a 400 invalid_json, and the cancel never reached OpenAI.
    for (const base of ['/v1', '/api/providers/openai/v1']) {
      const cancelled = await bodiless('POST', `${base}/responses/resp_bg1/cancel`);
      expect([base, cancelled.status]).toEqual([base, 200]);
      expect(JSON.parse(cancelled.body)).toMatchObject({ id: 'resp_bg1', status: 'cancelled' });
      expect(upstream.lastRequest()).toMatchObject({ method: 'POST', path: '/v1/responses/resp_bg1/cancel', body: null });
    }
    expect((await bodiless('DELETE', '/v1/responses/resp_bg1')).status).toBe(200);
    expect(upstream.lastRequest()).toMatchObject({ method: 'DELETE', path: '/v1/responses/resp_bg1' });
  });

  it('upstream errors on passthrough paths keep their status in OpenAI\'s shape, with an event', async () => {
    const error = await sdk()
      .files.retrieve('file-missing', withId('files-missing'))
      .then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ status: 404, type: 'invalid_request_error' });
    expect(upstream.lastRequest()).toMatchObject({ method: 'GET', path: '/v1/files/file-missing' });
    expect(await eventFor(stack, 'files-missing')).toMatchObject({ status: 404, path: '/api/providers/openai/v1/files/file-missing', method: 'GET' });
  });
});
