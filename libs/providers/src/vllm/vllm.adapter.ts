import { ProviderId } from '@tollgate/provider-settings';
import { OpenAICompatibleAdapter } from '../openai-compatible/openai-compatible.adapter';
import { AdapterContext } from '../provider-adapter';
import { withVersionPrefix } from '../openai-compatible/base-url';

/** A vLLM server's OpenAI-compatible API; the setting's url is required (checked when saved). */
export class VllmAdapter extends OpenAICompatibleAdapter {
  readonly id = ProviderId.Vllm;

  protected baseUrl({ setting }: AdapterContext): string {
    return withVersionPrefix(setting.options.url ?? '', '/v1');
  }
}
