import OpenAI from 'openai';
import Redis from 'ioredis';
import { LimitKeys } from '@tollgate/limits';
import { FakeOpenAI } from './support/fake-openai';
import { ACTUAL_NANO, maxTokensAbove, maxTokensWithin, reservedNano } from './support/pricing';
import { OpenAIError, ProxyResponse, chat, countBy, issueKey, proxyRequest } from './support/proxy-client';
import { TestStack, eventually, startTestStack } from './support/test-stack';
import { GatewayProcess, spawnGateway } from './support/tollgate-process';

const RESERVED_NANO = reservedNano(5);

/**
 * Rate limits and budgets under real concurrency: 100 simultaneous requests against one
 * gateway, and spread over two gateway processes (the built dist, as production runs it)
 * sharing Postgres and Redis; the worker settles every reservation through the real queue.
 */
describe('limits under concurrency (e2e, one gateway and two gateway processes)', () => {
  let stack: TestStack;
  let upstream: FakeOpenAI;
  let replicas: GatewayProcess[] = [];
  let redis: Redis;
  let settingId: string;

  beforeAll(async () => {
    upstream = new FakeOpenAI();
    await upstream.start();
    stack = await startTestStack({ ADMIN_RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'info' });
    redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
    const setting = await stack.admin<{ id: string }>('POST', '/api/provider-settings', { provider: 'openai', setting: { apiKey: 'sk-upstream-secret', url: upstream.baseUrl } });
    settingId = setting.body.id;
    // Set before the replicas start, so their first requests already see them.
    for (const model of ['fail-500', 'house-model']) {
      const price = await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model, inputUsdPerMillionTokens: 150, outputUsdPerMillionTokens: 600 });
      expect(price.status).toBe(200);
    }
    // A cheap model whose dated snapshot (the name the upstream answers under) the admin priced
    // 1000 times higher.
    for (const [model, input, output] of [['house-mini', 0.15, 0.6], ['house-mini-2024-07-18', 150, 600]] as const) {
      const price = await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model, inputUsdPerMillionTokens: input, outputUsdPerMillionTokens: output });
      expect(price.status).toBe(200);
    }
    replicas = await Promise.all([spawnGateway(stack.replicaEnv), spawnGateway(stack.replicaEnv)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    redis?.disconnect();
    await stack?.close();
    await upstream?.stop();
  });

  beforeEach(() => {
    upstream.responseDelayMs = 0;
  });

  /** A fresh key (its own counters), known to every gateway before the test fires. */
  const createKey = (limits: Record<string, unknown>, gateways: string[] = [stack.proxyUrl]) => issueKey(stack.admin, gateways, 'limits', [settingId], limits);

  /** 100 requests fired at once, round-robin over the given gateways. */
  const burst = (gateways: string[], key: string, extra: Record<string, unknown> = {}, count = 100) =>
    Promise.all(Array.from({ length: count }, (_, i) => chat(gateways[i % gateways.length], key, extra)));

  const upstreamCallsWith = (model = 'gpt-4o-mini') => upstream.requests.filter((r) => r.body?.model === model).length;

  /** Waits until the worker has recorded every request of the key and released every reservation. */
  const settled = async (keyId: string, requests: number) => {
    let seen = '';
    await eventually(async () => {
      const [row] = await stack.sql<{ n: number }>('SELECT COUNT(*)::int AS n FROM events WHERE key_id = $1 AND status <> 400', [keyId]);
      const reservations = new LimitKeys(stack.queuePrefix).reservations('key', keyId);
      const reserved = await redis.zrange(reservations.setKey, 0, -1);
      // The running total agrees with the set: nothing left, nothing counted.
      const total = Number((await redis.get(reservations.totalKey)) ?? 0);
      seen = `${row.n} events, reservations left: ${JSON.stringify(reserved)}, reserved total ${total}`;
      return row.n === requests && reserved.length === 0 && total === 0 ? true : undefined;
    }, 10_000, `${requests} events of key ${keyId} settled`).catch((error: Error) => {
      throw new Error(`${error.message} (${seen})`);
    });
    const [events] = await stack.sql<{ spent: string }>('SELECT COALESCE(SUM(cost_in_usd), 0) AS spent FROM events WHERE key_id = $1', [keyId]);
    const [key] = await stack.sql<{ spent_usd: string }>('SELECT spent_usd FROM api_keys WHERE key_id = $1', [keyId]);
    const eventsNano = Math.round(Number(events.spent) * 1e9);
    // Postgres (events and the key's total) and the Redis counter agree to the nano-dollar.
    expect(Math.round(Number(key.spent_usd) * 1e9)).toBe(eventsNano);
    expect(Number((await redis.get(`${stack.queuePrefix}:limits:spent:key:${keyId}:total`)) ?? 0)).toBe(eventsNano);
    return eventsNano;
  };

  const expectRateLimited = (response: ProxyResponse, limit: number) => {
    expect(response.status).toBe(429);
    expect(response.body).toEqual({ error: { message: expect.stringContaining('Rate limit'), type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3_600).toBe(true);
    expect(response.headers['x-ratelimit-limit-requests']).toBe(String(limit));
    expect(response.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(response.headers['x-ratelimit-reset-requests']).toBe(`${retryAfter}s`);
  };

  const expectBudgetRefusal = (response: ProxyResponse) => {
    expect(response.status).toBe(429);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.body).toEqual<OpenAIError>({ error: { message: expect.stringContaining('cost limit'), type: 'insufficient_quota', param: null, code: 'cost_limit_exceeded' } });
  };

  describe('rate limit', () => {
    it('admits exactly 10 of 100 simultaneous requests on one gateway, with OpenAI rate-limit headers on every response', async () => {
      const { key } = await createKey({ rateLimitOverTime: 10, rateLimitUnit: 'h' });
      const before = upstreamCallsWith();
      const responses = await burst([stack.proxyUrl], key);

      expect(countBy(responses, (r) => r.status)).toEqual({ 200: 10, 429: 90 });
      expect(upstreamCallsWith() - before).toBe(10);
      const admitted = responses.filter((r) => r.status === 200);
      // Each admission saw the counter after its own increment: remaining 9, 8, ..., 0.
      expect(admitted.map((r) => Number(r.headers['x-ratelimit-remaining-requests'])).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const response of admitted) {
        expect(response.body.choices[0].message.content).toBe('Hello there, friend!');
        expect(response.headers['x-ratelimit-limit-requests']).toBe('10');
        expect(response.headers['x-ratelimit-reset-requests']).toMatch(/^\d+s$/);
      }
      for (const response of responses.filter((r) => r.status === 429)) expectRateLimited(response, 10);
    });

    it('admits exactly 10 of 100 simultaneous requests spread over three gateways (two of them separate processes)', async () => {
      const gateways = [stack.proxyUrl, ...replicas.map((replica) => replica.proxyUrl)];
      const { key } = await createKey({ rateLimitOverTime: 10, rateLimitUnit: 'h' }, gateways);
      const before = upstreamCallsWith();
      const responses = await burst(gateways, key);

      expect(countBy(responses, (r) => r.status)).toEqual({ 200: 10, 429: 90 });
      expect(upstreamCallsWith() - before).toBe(10);
      // Every gateway answered its third of the burst and refused all but (at most) ten of it.
      for (const [index] of gateways.entries()) {
        expect(responses.filter((r, i) => i % gateways.length === index && r.status === 429).length).toBeGreaterThanOrEqual(23);
      }
      // One counter for all: the remaining values never repeat.
      const remaining = responses.filter((r) => r.status === 200).map((r) => Number(r.headers['x-ratelimit-remaining-requests']));
      expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const response of responses.filter((r) => r.status === 429)) expectRateLimited(response, 10);
      // The hour's ten are used up everywhere.
      for (const gateway of gateways) expectRateLimited(await chat(gateway, key), 10);
    });
  });

  describe('budgets (reserve, then settle)', () => {
    /**
     * `count` requests (max_tokens 5) at once against a budget of `limitNano`: every one is
     * admitted or refused as over budget, and the spend settles to the actual cost, within it.
     */
    const budgetBurst = async (gateways: string[], key: string, keyId: string, limitNano: number, count = 100) => {
      // Answers take a while, so every admitted request still holds its reservation during the burst.
      upstream.responseDelayMs = 150;
      const responses = await burst(gateways, key, { max_tokens: 5 }, count);

      const admitted = responses.filter((r) => r.status === 200);
      const refused = responses.filter((r) => r.status === 429);
      // Reservations alone admit floor(limit / reserved); settled requests free at most the difference.
      expect(admitted.length).toBeGreaterThanOrEqual(Math.floor(limitNano / RESERVED_NANO));
      expect(admitted.length).toBeLessThanOrEqual(Math.floor(limitNano / ACTUAL_NANO));
      expect(admitted.length + refused.length).toBe(count);
      for (const response of refused) expectBudgetRefusal(response);

      const spent = await settled(keyId, count);
      expect(spent).toBe(admitted.length * ACTUAL_NANO);
      expect(spent).toBeLessThanOrEqual(limitNano);
      return { admitted, refused, spent };
    };

    it('100 concurrent requests on one gateway never push recorded spend above costLimitInUsd', async () => {
      const limitNano = 50_000;
      const { key, keyId } = await createKey({ costLimitInUsd: limitNano / 1e9 });
      const { admitted } = await budgetBurst([stack.proxyUrl], key, keyId, limitNano);
      expect(admitted.length).toBeGreaterThan(0);
    });

    it('100 concurrent requests over two gateway processes never push recorded spend above costLimitInUsd', async () => {
      const limitNano = 50_000;
      const gateways = replicas.map((replica) => replica.proxyUrl);
      const { key, keyId } = await createKey({ costLimitInUsd: limitNano / 1e9 }, gateways);
      await budgetBurst(gateways, key, keyId, limitNano);
    });

    it('enforces a period budget (costLimitInUsdOverTime per day) the same way', async () => {
      const limitNano = 30_000;
      const { key, keyId } = await createKey({ costLimitInUsdOverTime: limitNano / 1e9, costLimitInUsdUnit: 'd' });
      const { refused, spent } = await budgetBurst([stack.proxyUrl], key, keyId, limitNano, 40);
      for (const response of refused) expect(response.body.error.message).toContain('per day');
      // Settled to the actual cost: a request worth just more than what is left is refused (it
      // would fit an untouched budget), one worth just what is left is admitted.
      const left = limitNano - spent;
      expect(reservedNano(maxTokensAbove(left))).toBeLessThanOrEqual(limitNano);
      expectBudgetRefusal(await chat(stack.proxyUrl, key, { max_tokens: maxTokensAbove(left) }));
      if (maxTokensWithin(left) >= 1) expect((await chat(stack.proxyUrl, key, { max_tokens: maxTokensWithin(left) })).status).toBe(200);
    });

    it('charges streamed requests (never $0) and carries the rate-limit headers on the stream', async () => {
      const { key, keyId } = await createKey({ costLimitInUsd: 1, rateLimitOverTime: 50, rateLimitUnit: 'h' });
      const response = await fetch(`${stack.proxyUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, max_tokens: 5 }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('50');
      expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('49');
      expect(await response.text()).toContain('data: [DONE]');
      // The fake's stream reports 11 prompt + 4 completion tokens.
      expect(await settled(keyId, 1)).toBe(11 * 150 + 4 * 600);
    });

    it('releases the reservation of a request the upstream failed, charging nothing', async () => {
      const gateway = replicas[0].proxyUrl;
      const { key, keyId } = await createKey({ costLimitInUsd: 0.01 }, [gateway]);
      expect((await chat(gateway, key, { model: 'fail-500', max_tokens: 5 })).status).toBe(500);
      expect(await settled(keyId, 1)).toBe(0);
    });

    it('prices by the requested model when the upstream answers under an unpriced snapshot name', async () => {
      // The admin priced the name clients send (at 1000× gpt-4o-mini); the upstream answers
      // with a dated snapshot name (as OpenAI does) that has no price of its own.
      const gateway = replicas[0].proxyUrl;
      const limitNano = 30_000_000;
      const { key, keyId } = await createKey({ costLimitInUsd: limitNano / 1e9 }, [gateway]);
      const perRequest = 12 * 150_000 + 5 * 600_000;
      const worstCase = 22 * 150_000 + 5 * 600_000;
      const statuses: number[] = [];
      await eventually(async () => {
        const response = await chat(gateway, key, { model: 'house-model', max_tokens: 5 });
        statuses.push(response.status);
        return response.status === 429 || statuses.length >= 20 ? true : undefined;
      }, 20_000, 'budget exhausted');
      const admitted = statuses.filter((status) => status === 200).length;
      expect(statuses[statuses.length - 1]).toBe(429);
      expect(admitted).toBeLessThanOrEqual(Math.floor(limitNano / perRequest));
      expect(admitted).toBeGreaterThanOrEqual(Math.floor((limitNano - worstCase) / perRequest));
      // Each was priced at the requested model's (admin) price, in Postgres too.
      const spent = await settled(keyId, statuses.length);
      expect(spent).toBe(admitted * perRequest);
      expect(spent).toBeLessThanOrEqual(limitNano);
      const flags = await stack.sql<{ price_known: boolean }>('SELECT DISTINCT price_known FROM events WHERE key_id = $1 AND status = 200', [keyId]);
      expect(flags).toEqual([{ price_known: true }]);
    });

    it('reserves at the price of the snapshot the upstream answers under when an admin priced it, so concurrent requests stay within the limit', async () => {
      const limitNano = 20_000_000;
      const { key, keyId } = await createKey({ costLimitInUsd: limitNano / 1e9 });
      // Charged at the snapshot's override: 12 prompt and 5 completion tokens at $150 / $600 per million.
      const perRequest = 12 * 150_000 + 5 * 600_000;
      upstream.responseDelayMs = 150;
      const responses = await burst([stack.proxyUrl], key, { model: 'house-mini', max_tokens: 5 }, 30);
      const admitted = responses.filter((r) => r.status === 200);
      // Reserved at the snapshot's price (22 prompt tokens at most, 5 completion): 3 fit at once.
      expect(admitted.length).toBeGreaterThanOrEqual(Math.floor(limitNano / (22 * 150_000 + 5 * 600_000)));
      expect(admitted.length).toBeLessThanOrEqual(Math.floor(limitNano / perRequest));
      for (const response of responses.filter((r) => r.status !== 200)) expectBudgetRefusal(response);
      const spent = await settled(keyId, 30);
      expect(spent).toBe(admitted.length * perRequest);
      expect(spent).toBeLessThanOrEqual(limitNano);
      const models = await stack.sql<{ model: string }>('SELECT DISTINCT model FROM events WHERE key_id = $1 AND status = 200', [keyId]);
      expect(models).toEqual([{ model: 'house-mini-2024-07-18' }]);
    });

    it('refuses a budgeted key chats that pull in content or tools their body does not hold; other keys use them', async () => {
      const { key } = await createKey({ costLimitInUsd: 10 });
      const { key: unlimited } = await createKey({});
      const fileMessage = { role: 'user', content: [{ type: 'text', text: 'Summarise' }, { type: 'file', file: { file_id: 'file-abc123' } }] };
      const requests: Array<{ path: string; extra: Record<string, unknown> }> = [
        { path: '/v1/chat/completions', extra: { messages: [fileMessage] } },
        { path: '/api/providers/openai/v1/chat/completions', extra: { messages: [fileMessage] } },
        { path: '/v1/chat/completions', extra: { web_search_options: {} } },
        { path: '/api/providers/openai/v1/chat/completions', extra: { web_search_options: { search_context_size: 'low' } } },
        // An earlier answer's audio by id: input audio the body does not hold, at several times text's rate.
        { path: '/v1/chat/completions', extra: { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', audio: { id: 'audio_abc123' } }, { role: 'user', content: 'Again' }] } },
      ];
      const before = upstreamCallsWith();
      for (const { path, extra } of requests) {
        const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, ...extra };
        const refused = await proxyRequest(stack.proxyUrl, 'POST', path, key, body);
        expect([path, extra, refused.status, refused.body]).toEqual([path, extra, 400, { error: expect.objectContaining({ code: 'model_not_priced', type: 'invalid_request_error' }) }]);
        expect(refused.body.error.message).toContain('stored at the provider');
      }
      expect(upstreamCallsWith()).toBe(before);
      // Without a cost limit the same requests go through, priced from the usage the provider reports.
      for (const { path, extra } of requests) {
        const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, ...extra };
        expect((await proxyRequest(stack.proxyUrl, 'POST', path, unlimited, body)).status).toBe(200);
      }
      expect(upstreamCallsWith()).toBe(before + requests.length);
      // A file sent inline is in the body: the budgeted key may send it.
      const inline = { role: 'user', content: [{ type: 'file', file: { filename: 'a.txt', file_data: 'data:text/plain;base64,aGk=' } }] };
      expect((await chat(stack.proxyUrl, key, { messages: [inline], max_tokens: 5 })).status).toBe(200);
    });

    it('refuses a budgeted key audio in or out where the price table has no audio rate for the model, and admits it where it has', async () => {
      const { key } = await createKey({ costLimitInUsd: 10 });
      const audioRequests: Array<{ path: string; extra: Record<string, unknown> }> = [
        { path: '/v1/chat/completions', extra: { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } } },
        { path: '/api/providers/openai/v1/chat/completions', extra: { modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } } },
        { path: '/v1/chat/completions', extra: { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }] }] } },
      ];
      const calls = () => upstreamCallsWith('gpt-4o-mini-audio-preview') + upstreamCallsWith('gpt-audio');
      const before = calls();
      for (const { path, extra } of audioRequests) {
        // The table prices gpt-4o-mini-audio-preview's audio as text ($0.15 where OpenAI bills $10 per million in).
        const body = { model: 'gpt-4o-mini-audio-preview', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, ...extra };
        const refused = await proxyRequest(stack.proxyUrl, 'POST', path, key, body);
        expect([path, extra, refused.status, refused.body.error?.code, refused.body.error?.param]).toEqual([path, extra, 400, 'model_not_priced', 'model']);
        expect(refused.body.error.message).toContain('no known audio price');
      }
      expect(calls()).toBe(before);
      // gpt-audio has audio rates in the table ($32 in, $64 out per million): admitted, reserved at them.
      for (const { path, extra } of audioRequests) {
        const body = { model: 'gpt-audio', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, ...extra };
        expect([path, extra, (await proxyRequest(stack.proxyUrl, 'POST', path, key, body)).status]).toEqual([path, extra, 200]);
      }
      expect(calls()).toBe(before + audioRequests.length);
    });

    it('spend settled before any budget was checked is counted once when the first one is (a new deployment, or Redis emptied)', async () => {
      // No counters and no rebuild marker, as before a deployment's first budget or after Redis lost them.
      const limitKeys = await redis.keys(`${stack.queuePrefix}:limits:*`);
      if (limitKeys.length > 0) await redis.del(...limitKeys);
      const { key, keyId } = await createKey({});
      for (let i = 0; i < 3; i++) expect((await chat(stack.proxyUrl, key, { max_tokens: 5 })).status).toBe(200);
      expect(await settled(keyId, 3)).toBe(3 * ACTUAL_NANO);
      // A budget with room for exactly one more request: admitted, and counted once.
      const limitNano = 3 * ACTUAL_NANO + RESERVED_NANO + 1_000;
      expect((await stack.admin('PATCH', `/api/key-management/keys/${keyId}`, { costLimitInUsd: limitNano / 1e9 })).status).toBe(200);
      await eventually(async () => ((await chat(stack.proxyUrl, key, { max_tokens: 5 })).status === 200 ? true : undefined), 3_000, 'the budgeted request admitted');
      expect(await settled(keyId, 4)).toBe(4 * ACTUAL_NANO);
    });

    it('the official openai SDK (default maxRetries) makes exactly one attempt on a budget error', async () => {
      const { key } = await createKey({ costLimitInUsd: 0.000001 });
      let calls = 0;
      const countingFetch: typeof fetch = (input, init) => {
        calls += 1;
        return fetch(input, init);
      };
      const sdk = new OpenAI({ apiKey: key, baseURL: `${stack.proxyUrl}/v1`, fetch: countingFetch });
      const error = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'cost_limit_exceeded', type: 'insufficient_quota' });
      expect(calls).toBe(1);
    });

    it('refuses a budgeted key a model the gateway cannot price (400), without calling the upstream', async () => {
      const { key } = await createKey({ costLimitInUsd: 1 });
      const before = upstream.requests.length;
      const response = await chat(stack.proxyUrl, key, { model: 'my-private-model', max_tokens: 5 });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: { message: expect.stringContaining('my-private-model'), type: 'invalid_request_error', param: 'model', code: 'model_not_priced' } });
      expect(upstream.requests.length).toBe(before);
    });
  });

  describe('price overrides', () => {
    it('a second gateway process prices a model within a second of an admin setting its price, and stops once it is removed', async () => {
      const gateway = replicas[1].proxyUrl;
      const { key } = await createKey({ costLimitInUsd: 1 }, [stack.proxyUrl, gateway]);
      const model = `priced-later-${Date.now()}`;
      expect((await chat(gateway, key, { model, max_tokens: 5 })).body.error).toMatchObject({ code: 'model_not_priced' });

      expect((await stack.admin('PUT', '/api/model-prices', { provider: 'openai', model, inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 })).status).toBe(200);
      const pricedAt = Date.now();
      await eventually(async () => ((await chat(gateway, key, { model, max_tokens: 5 })).status === 200 ? true : undefined), 1_000, 'price on the second process');
      expect(Date.now() - pricedAt).toBeLessThan(1_000);

      expect((await stack.admin('DELETE', `/api/model-prices?provider=openai&model=${model}`)).status).toBe(204);
      const removedAt = Date.now();
      await eventually(async () => ((await chat(gateway, key, { model, max_tokens: 5 })).status === 400 ? true : undefined), 1_000, 'price removal on the second process');
      expect(Date.now() - removedAt).toBeLessThan(1_000);
    });
  });

  describe('ttl and revocation', () => {
    it('a key with ttl "2s" works, then is refused as expired', async () => {
      const createdAt = Date.now();
      const { key } = await createKey({ ttl: '2s' });
      expect((await chat(stack.proxyUrl, key)).status).toBe(200);
      const expired = await eventually(async () => {
        const response = await chat(stack.proxyUrl, key);
        return response.status === 401 ? response : undefined;
      }, 4_000, 'key expiry');
      // Not before its time: the ttl counts from creation.
      expect(Date.now() - createdAt).toBeGreaterThanOrEqual(2_000);
      expect(expired.body.error).toMatchObject({ code: 'invalid_api_key', message: expect.stringContaining('expired') });
    });

    it('a revoked key is refused with its reason, by a second gateway process within a second', async () => {
      const gateways = [stack.proxyUrl, replicas[1].proxyUrl];
      const { key, keyId } = await createKey({}, gateways);
      for (const gateway of gateways) expect((await chat(gateway, key)).status).toBe(200);

      const patched = await stack.admin('PATCH', `/api/key-management/keys/${keyId}`, { revoked: true, revokedReason: 'semester ended' });
      expect(patched.status).toBe(200);
      const revokedAt = Date.now();
      const onReplica = await eventually(async () => {
        const response = await proxyRequest(replicas[1].proxyUrl, 'GET', '/v1/models', key);
        return response.status === 401 ? response : undefined;
      }, 1_000, 'revocation on the second process');
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      expect(onReplica.body.error).toMatchObject({ code: 'invalid_api_key', message: expect.stringContaining('semester ended') });
      const local = await chat(stack.proxyUrl, key);
      expect(local.status).toBe(401);
      expect(local.body.error.message).toContain('semester ended');
    });
  });
});
