import { JsonLocation, LocationSyntaxError, parseLocation } from './json-location';

/** One route of a custom provider, as stored (the admin API spells the fields in snake_case). */
export interface RouteConfig {
  /** Path below /api/custom/providers/:provider, e.g. "/chat/completions"; unique per provider. */
  path: string;
  /** Where requests on this path are forwarded (checked by the SSRF guard when saved and when connecting). */
  targetUrl: string;
  modelLocation: string;
  requestPromptLocation: string;
  responseCompletionLocation: string;
  /** Location of the request's stream flag; empty when the route never streams. */
  streamLocation: string;
  /** The `data:` payload that ends a stream (e.g. "[DONE]"); empty: the stream ends when the upstream closes it. */
  streamEndWord: string;
  streamResponseCompletionLocation: string;
  /** Data-less stream events tolerated in a row before the stream is cut; 0: no limit. */
  streamMaxEmptyMessages: number;
}

/** RFC 3986 path characters: unreserved, sub-delims, ":", "@", "/" and percent-encoded octets. */
const URL_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;

/** A route with its locations parsed once, for the request path. */
export interface CompiledRoute {
  path: string;
  targetUrl: string;
  model: JsonLocation;
  requestPrompt: JsonLocation;
  responseCompletion: JsonLocation;
  stream: JsonLocation | null;
  streamEndWord: string | null;
  streamCompletion: JsonLocation | null;
  streamMaxEmptyMessages: number;
}

export class RouteConfigError extends Error {
  constructor(
    message: string,
    /** The offending field, e.g. "route_configs[1].path". */
    readonly field: string,
  ) {
    super(message);
    this.name = 'RouteConfigError';
  }
}

export const MAX_ROUTE_CONFIGS = 100;
export const MAX_STREAM_EMPTY_MESSAGES = 100_000;

/**
 * Checks a provider's route configs (everything but the target URL's reachability, which the
 * SSRF guard checks) and returns them normalised. Throws RouteConfigError naming the field.
 */
export function validateRouteConfigs(configs: readonly RouteConfig[]): RouteConfig[] {
  if (configs.length === 0) throw new RouteConfigError('route_configs must hold at least one route', 'route_configs');
  if (configs.length > MAX_ROUTE_CONFIGS) throw new RouteConfigError(`route_configs holds at most ${MAX_ROUTE_CONFIGS} routes`, 'route_configs');
  const seen = new Set<string>();
  return configs.map((config, index) => {
    const field = (name: string) => `route_configs[${index}].${name}`;
    const path = config.path.trim();
    if (!path.startsWith('/')) throw new RouteConfigError(`${field('path')} must start with "/"`, field('path'));
    if (/[\s?#]/.test(path)) throw new RouteConfigError(`${field('path')} must not contain white space, "?" or "#"`, field('path'));
    // Matched against the request's path as it arrives, still percent-encoded: a path with other
    // characters ("/ü") could never match any request.
    if (!URL_PATH.test(path)) {
      throw new RouteConfigError(`${field('path')} must be written as it appears in a request URL: ASCII letters, digits, "/" and -._~!$&'()*+,;=:@, other characters percent-encoded (e.g. "/%C3%BC" for "/ü")`, field('path'));
    }
    if (seen.has(path)) throw new RouteConfigError(`${field('path')} "${path}" appears twice; paths must be unique within a provider`, field('path'));
    seen.add(path);
    const normalized: RouteConfig = {
      path,
      targetUrl: config.targetUrl.trim(),
      modelLocation: config.modelLocation.trim(),
      requestPromptLocation: config.requestPromptLocation.trim(),
      responseCompletionLocation: config.responseCompletionLocation.trim(),
      streamLocation: (config.streamLocation ?? '').trim(),
      streamEndWord: config.streamEndWord ?? '',
      streamResponseCompletionLocation: (config.streamResponseCompletionLocation ?? '').trim(),
      streamMaxEmptyMessages: config.streamMaxEmptyMessages ?? 0,
    };
    const required: Array<[keyof RouteConfig, string]> = [
      ['modelLocation', 'model_location'],
      ['requestPromptLocation', 'request_prompt_location'],
      ['responseCompletionLocation', 'response_completion_location'],
    ];
    if (normalized.streamLocation !== '') required.push(['streamResponseCompletionLocation', 'stream_response_completion_location']);
    for (const [key, name] of required) {
      if (normalized[key] === '') {
        throw new RouteConfigError(`${field(name)} is required${name.startsWith('stream_') ? ' when stream_location is set' : ''}`, field(name));
      }
    }
    const locations: Array<[keyof RouteConfig, string]> = [...required, ['streamLocation', 'stream_location']];
    for (const [key, name] of locations) {
      const value = normalized[key] as string;
      if (value === '') continue;
      try {
        parseLocation(value);
      } catch (error) {
        if (error instanceof LocationSyntaxError) throw new RouteConfigError(`${field(name)}: ${error.message}`, field(name));
        throw error;
      }
    }
    const maxEmpty = normalized.streamMaxEmptyMessages;
    if (!Number.isInteger(maxEmpty) || maxEmpty < 0 || maxEmpty > MAX_STREAM_EMPTY_MESSAGES) {
      throw new RouteConfigError(`${field('stream_max_empty_messages')} must be an integer from 0 to ${MAX_STREAM_EMPTY_MESSAGES}`, field('stream_max_empty_messages'));
    }
    return normalized;
  });
}

/** Parses a validated route's locations. */
export function compileRoute(config: RouteConfig): CompiledRoute {
  return {
    path: config.path,
    targetUrl: config.targetUrl,
    model: parseLocation(config.modelLocation),
    requestPrompt: parseLocation(config.requestPromptLocation),
    responseCompletion: parseLocation(config.responseCompletionLocation),
    stream: config.streamLocation ? parseLocation(config.streamLocation) : null,
    streamEndWord: config.streamEndWord !== '' ? config.streamEndWord : null,
    streamCompletion: config.streamResponseCompletionLocation ? parseLocation(config.streamResponseCompletionLocation) : null,
    streamMaxEmptyMessages: config.streamMaxEmptyMessages,
  };
}
