import { GatewayError, GatewayErrorCode } from '@tollgate/common';
import { ProviderId } from '@tollgate/provider-settings';
import { OpenAICompatibleAdapter, OpenAIOperation } from '../openai-compatible/openai-compatible.adapter';
import { AdapterContext } from '../provider-adapter';

const STREAM_OPTIONS_SINCE = '2024-09-01';

/**
 * Azure OpenAI: the model is the deployment name, the URL is per resource and carries the
 * api-version, and the credential goes in the `api-key` header.
 */
export class AzureOpenAIAdapter extends OpenAICompatibleAdapter {
  readonly id = ProviderId.Azure;

  /** https://<resource>.openai.azure.com, or the setting's full url. */
  protected baseUrl({ setting }: AdapterContext): string {
    const base = setting.options.url ?? `https://${setting.options.resourceName}.openai.azure.com`;
    return base.replace(/\/+$/, '').replace(/\/openai$/, '');
  }

  protected override operationUrl(context: AdapterContext, operation: OpenAIOperation, deployment: string): string {
    // encodeURIComponent leaves "." and "..", which URL resolution would turn into a path walk.
    if (deployment === '' || deployment === '.' || deployment === '..') {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, `'${deployment}' is not an Azure deployment name.`, 'model');
    }
    return `${this.baseUrl(context)}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(this.apiVersion(context))}`;
  }

  /** Native paths arrive as /openai/deployments/...; the client's api-version wins when it sent one. */
  override passthroughUrl(context: AdapterContext, path: string, search: string): string {
    const query = new URLSearchParams(search);
    if (!query.has('api-version')) query.set('api-version', this.apiVersion(context));
    return `${this.baseUrl(context)}${path}?${query.toString()}`;
  }

  /**
   * stream_options came with api-version 2024-09-01-preview (GA in 2024-10-21); older versions
   * refuse the request ("Unrecognized request argument supplied: stream_options").
   */
  override takesStreamOptions(context: AdapterContext, search = ''): boolean {
    const version = new URLSearchParams(search).get('api-version') ?? this.apiVersion(context);
    return version.slice(0, 10) >= STREAM_OPTIONS_SINCE;
  }

  /**
   * Azure's /openai/models lists base models, not the deployments that route, and deployments
   * are listed only by the management API: an Azure setting lists its allowedModels alone.
   */
  override toModelsRequest(): null {
    return null;
  }

  protected override authHeaders(context: AdapterContext): Record<string, string> {
    const apiKey = context.setting.credentials.apiKey;
    return apiKey ? { 'api-key': apiKey } : {};
  }

  private apiVersion({ setting, defaults }: AdapterContext): string {
    // An empty one (stored before versions were checked) is no version.
    return setting.options.apiVersion || defaults.azureApiVersion;
  }
}
