/**
 * The model a provider's answer names, when it names one as text. Answers are the provider's
 * JSON, typed by hope: a number or an object there (a proxy's bug, a new API shape) reached the
 * client as the OpenAI `model`, and the event could not be built, so the request went unrecorded.
 */
export function modelNameOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
