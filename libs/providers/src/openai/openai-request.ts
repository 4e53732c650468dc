export interface PreparedChatBody {
  body: Record<string, unknown>;
  /** Whether the client itself asked for the final usage chunk (if not, the relay strips it). */
  clientWantsUsage: boolean;
}

/**
 * For streams, asks OpenAI for the usage chunk so every streamed request can be priced,
 * and remembers whether the client wanted it. Other fields pass through untouched.
 * `askForUsage` false: the API version refuses stream_options (older Azure ones); the body goes
 * as the client sent it, nothing is stripped, and a stream without usage is counted.
 */
export function toOpenAIChatBody(body: Record<string, unknown>, askForUsage = true): PreparedChatBody {
  if (body.stream !== true) return { body, clientWantsUsage: false };
  if (!askForUsage) return { body, clientWantsUsage: true };
  const options = (body.stream_options && typeof body.stream_options === 'object' ? body.stream_options : {}) as Record<string, unknown>;
  const clientWantsUsage = options.include_usage === true;
  return {
    body: clientWantsUsage ? body : { ...body, stream_options: { ...options, include_usage: true } },
    clientWantsUsage,
  };
}
