import { ProviderId } from '@tollgate/provider-settings';
import { OpenAICompatibleAdapter } from '../openai-compatible/openai-compatible.adapter';
import { AdapterContext } from '../provider-adapter';

/** Deepinfra's OpenAI-compatible endpoint (or the setting's url). */
export class DeepinfraAdapter extends OpenAICompatibleAdapter {
  readonly id = ProviderId.Deepinfra;

  protected baseUrl({ setting, defaults }: AdapterContext): string {
    return (setting.options.url ?? defaults.deepinfraBaseUrl).replace(/\/+$/, '');
  }
}
