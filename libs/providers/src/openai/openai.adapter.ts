import { ProviderId } from '@tollgate/provider-settings';
import { OpenAICompatibleAdapter } from '../openai-compatible/openai-compatible.adapter';
import { AdapterContext } from '../provider-adapter';

/** OpenAI itself: the setting's url (an in-house proxy, say) or the default base. */
export class OpenAIAdapter extends OpenAICompatibleAdapter {
  readonly id = ProviderId.OpenAI;

  protected baseUrl({ setting, defaults }: AdapterContext): string {
    return (setting.options.url ?? defaults.openaiBaseUrl).replace(/\/+$/, '');
  }
}
