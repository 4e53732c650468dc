/**
 * The longest retry-after an SDK is left to wait out by itself. The OpenAI and Anthropic Node
 * SDKs sleep for whatever retry-after (or retry-after-ms) says: an hourly or daily limit held the
 * caller's request for up to a day (OpenAI's Python SDK waits out no more than a minute or two).
 * Past this, x-should-retry: false makes them fail at once; retry-after still says when.
 */
export const LONGEST_SDK_RETRY_WAIT_SECONDS = 60;
