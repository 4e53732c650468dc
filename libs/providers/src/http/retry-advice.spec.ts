import { isRetryable, retryWaitMs, shouldRetryHeader } from './retry-advice';

describe('isRetryable', () => {
  it('retries what the SDKs retry by status (408, 409, 429, 5xx), not other 4xx', () => {
    expect([400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 529].map((status) => [status, isRetryable(status, {})])).toEqual([
      [400, false],
      [401, false],
      [403, false],
      [404, false],
      [408, true],
      [409, true],
      [422, false],
      [429, true],
      [500, true],
      [502, true],
      [503, true],
      [529, true],
    ]);
  });

  it("obeys the upstream's x-should-retry before the status, as the SDKs do", () => {
    expect(isRetryable(500, { 'x-should-retry': 'false' })).toBe(false);
    expect(isRetryable(429, { 'x-should-retry': 'False' })).toBe(false);
    expect(isRetryable(400, { 'x-should-retry': 'true' })).toBe(true);
    // Something else is no advice: the status decides.
    expect(isRetryable(503, { 'x-should-retry': 'maybe' })).toBe(true);
  });

  it('does not retry a failure that lasts (an account out of credit), unless the upstream says to', () => {
    expect(isRetryable(429, {}, true)).toBe(false);
    expect(isRetryable(429, { 'x-should-retry': 'true' }, true)).toBe(true);
  });
});

describe('retryWaitMs', () => {
  it('reads retry-after-ms first, then retry-after in seconds or as an HTTP date, as the SDKs do', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryWaitMs('50', '20', now)).toBe(50);
    expect(retryWaitMs(null, '20', now)).toBe(20_000);
    expect(retryWaitMs(null, '1.5', now)).toBe(1_500);
    expect(retryWaitMs(null, 'Wed, 01 Jan 2025 01:00:00 GMT', now)).toBe(3_600_000);
    expect(retryWaitMs('soon', 'later', now)).toBeNull();
    expect(retryWaitMs(null, null, now)).toBeNull();
  });

  it("falls back to retry-after when retry-after-ms is 0, as the SDKs do (their `!timeoutMillis`): a 0 is no answer", () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryWaitMs('0', '3600', now)).toBe(3_600_000);
    expect(retryWaitMs('0.0', 'Wed, 01 Jan 2025 01:00:00 GMT', now)).toBe(3_600_000);
    // With nothing to fall back to, 0 is what they read.
    expect(retryWaitMs('0', null, now)).toBe(0);
  });

  it('reads the headers as the SDKs do otherwise too: any number parseFloat finds, a negative one kept, an empty header absent', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    // A negative retry-after-ms is a wait they take (at once), not a missing one: retry-after is not read.
    expect(retryWaitMs('-5', '3600', now)).toBe(-5);
    expect(retryWaitMs('1500abc', '3600', now)).toBe(1_500);
    expect(retryWaitMs('abc', '3600', now)).toBe(3_600_000);
    expect(retryWaitMs('', '3600', now)).toBe(3_600_000);
    expect(retryWaitMs('  ', '20', now)).toBe(20_000);
    expect(retryWaitMs(null, '-1', now)).toBe(-1_000);
    expect(retryWaitMs(null, '30s', now)).toBe(30_000);
    expect(retryWaitMs(null, '', now)).toBeNull();
    // A date already past is a wait below 0.
    expect(retryWaitMs(null, 'Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(-3_600_000);
  });
});

describe('shouldRetryHeader', () => {
  it('says nothing where the status already tells the SDK the same and the upstream said nothing', () => {
    expect(shouldRetryHeader(500, true, {}, null)).toBeNull();
    expect(shouldRetryHeader(429, true, {}, '7')).toBeNull();
    expect(shouldRetryHeader(400, false, {}, null)).toBeNull();
  });

  it('says false on what the status would have had retried: a refused credential answered 502, an account out of credit', () => {
    expect(shouldRetryHeader(502, false, {}, null)).toBe('false');
    expect(shouldRetryHeader(429, false, {}, null)).toBe('false');
  });

  it("relays the upstream's own advice, true included on a status the SDK would not retry", () => {
    expect(shouldRetryHeader(400, true, { 'x-should-retry': 'true' }, null)).toBe('true');
    expect(shouldRetryHeader(500, false, { 'x-should-retry': 'false' }, null)).toBe('false');
  });

  it('says false when the wait asked for is past a minute, however it is said: the SDK would hold its caller for all of it', () => {
    expect(shouldRetryHeader(429, true, {}, '60')).toBeNull();
    expect(shouldRetryHeader(429, true, {}, '3600')).toBe('false');
    expect(shouldRetryHeader(429, true, { 'retry-after-ms': '120000' }, '1')).toBe('false');
    expect(shouldRetryHeader(503, true, {}, new Date(Date.now() + 3_600_000).toUTCString())).toBe('false');
    // Even when the upstream asks for the retry: an hour's wait is no retry the gateway lets hold a request.
    expect(shouldRetryHeader(429, true, { 'x-should-retry': 'true' }, '3600')).toBe('false');
    // A short retry-after-ms wins over a long retry-after, as the SDKs read them.
    expect(shouldRetryHeader(429, true, { 'retry-after-ms': '50' }, '3600')).toBeNull();
    // ... but not a retry-after-ms of 0: the SDKs read it as unset and wait out the hour.
    expect(shouldRetryHeader(429, true, { 'retry-after-ms': '0' }, '3600')).toBe('false');
  });

  it('reads the retry-after-ms the client gets: a repeated one is not passed on, so the SDK waits out retry-after', () => {
    expect(shouldRetryHeader(429, true, { 'retry-after-ms': ['50', '50'] }, '3600')).toBe('false');
    expect(shouldRetryHeader(429, true, { 'retry-after-ms': ['120000', '120000'] }, '1')).toBeNull();
  });
});
