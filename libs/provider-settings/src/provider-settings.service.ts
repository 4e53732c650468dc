import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import {
  CONFIG_CHANGES,
  ConfigChangeNotifier,
  ConfigEntity,
  ENV,
  Env,
  GatewayError,
  GatewayErrorCode,
  HEADER_SAFE_TEXT,
  LOGGER,
  Logger,
  isUuid,
} from '@tollgate/common';
import { newestUpdate, rowsChangedSince, updateLocked } from '@tollgate/database';
import { In, Repository } from 'typeorm';
// The guard's own file, not the @tollgate/providers barrel: providers depends on this lib.
import { OutboundRefusedError, processOutboundGuard } from '../../providers/src/http/ssrf-guard';
import { CredentialCipher } from './credential-cipher';
import { ProviderId } from './provider-id';
import { ProviderSettingEntity, ProviderSettingOptions } from './provider-setting.entity';

/** The setting map's fields that are connection options rather than secrets. */
const OPTION_FIELDS: ReadonlyArray<keyof ProviderSettingOptions> = ['url', 'resourceName', 'apiVersion'];

/** What each provider needs before a setting can be saved. */
const REQUIRED_FIELDS: Record<ProviderId, string[][]> = {
  [ProviderId.OpenAI]: [['apiKey']],
  [ProviderId.Azure]: [['apiKey'], ['resourceName', 'url']],
  [ProviderId.Anthropic]: [['apiKey']],
  [ProviderId.Gemini]: [['apiKey']],
  [ProviderId.Vllm]: [['url']],
  [ProviderId.Deepinfra]: [['apiKey']],
  [ProviderId.Custom]: [['apiKey']],
};

export interface ProviderSettingInput {
  provider: ProviderId;
  /** null: an option not given (splitSetting keeps only text). */
  setting: Record<string, string | null>;
  name?: string;
  allowedModels?: string[];
}

export interface ProviderSettingPatch {
  /** Fields to set; null removes a connection option (splitSetting keeps only text). */
  setting?: Record<string, string | null>;
  name?: string;
  allowedModels?: string[];
}

/** A setting with its secrets decrypted: only ever held in memory, never serialised out. */
export interface ResolvedProviderSetting {
  id: string;
  name: string;
  provider: ProviderId;
  options: ProviderSettingOptions;
  credentials: Record<string, string>;
  allowedModels: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Settings as the proxy uses them, and the ids of those whose credentials could not be decrypted. */
export interface LoadedSettings {
  readable: ResolvedProviderSetting[];
  unreadableIds: string[];
  /** The newest updated_at among the rows read, readable or not (null: none read). */
  newestUpdate: Date | null;
}

@Injectable()
export class ProviderSettingsService {
  private readonly cipher: CredentialCipher;

  private readonly logger: Logger;

  constructor(
    @InjectRepository(ProviderSettingEntity) private readonly repository: Repository<ProviderSettingEntity>,
    @Inject(ENV) env: Env,
    @Inject(CONFIG_CHANGES) private readonly changes: ConfigChangeNotifier,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.cipher = new CredentialCipher(env.encryptionKey);
    this.logger = logger.child({ context: 'ProviderSettings' });
  }

  async create(input: ProviderSettingInput): Promise<ProviderSettingEntity> {
    const { options, credentials } = splitSetting(input.setting);
    assertComplete(input.provider, options, credentials);
    assertNamedIfCustom(input.provider, input.name ?? '');
    const saved = await this.repository.save(
      this.repository.create({
        provider: input.provider,
        name: input.name ?? '',
        options,
        credentialsCiphertext: this.cipher.encrypt(JSON.stringify(credentials)),
        allowedModels: input.allowedModels ?? [],
      }),
    );
    await this.changes.publish({ entity: ConfigEntity.ProviderSetting, id: saved.id });
    return saved;
  }

  async update(id: string, patch: ProviderSettingPatch): Promise<ProviderSettingEntity> {
    const saved = isUuid(id)
      ? await updateLocked(this.repository, { id }, (existing, repository) => {
          if (patch.setting !== undefined) {
            // A patch merges into the stored setting, so rotating the key keeps the url and vice versa.
            // Credentials that cannot be decrypted (another ENCRYPTION_KEY) are replaced by the
            // patch's, which must then be complete: this is how such a setting is repaired.
            const current = { ...existing.options, ...this.readableCredentials(existing) } as Record<string, string>;
            const { options, credentials } = splitSetting({ ...current, ...patch.setting });
            assertComplete(existing.provider as ProviderId, options, credentials);
            existing.options = options;
            existing.credentialsCiphertext = this.cipher.encrypt(JSON.stringify(credentials));
          }
          if (patch.name !== undefined) {
            assertNamedIfCustom(existing.provider as ProviderId, patch.name);
            existing.name = patch.name;
          }
          if (patch.allowedModels !== undefined) existing.allowedModels = patch.allowedModels;
          return repository.save(existing);
        })
      : null;
    if (!saved) throw new GatewayError(GatewayErrorCode.NotFound, `provider setting ${id} not found`);
    // The stored id: the path's may be in upper case, and replicas look entries up by the stored form.
    await this.changes.publish({ entity: ConfigEntity.ProviderSetting, id: saved.id });
    return saved;
  }

  /** All settings, or (given ids) those of them that exist: an empty or malformed list matches none. */
  async list(ids?: string[]): Promise<ProviderSettingEntity[]> {
    const wanted = ids?.filter(isUuid);
    if (wanted?.length === 0) return [];
    return this.repository.find({ where: wanted ? { id: In(wanted) } : {}, order: { createdAt: 'ASC' } });
  }

  async countExisting(ids: string[]): Promise<number> {
    return ids.length === 0 ? 0 : this.repository.countBy({ id: In(ids) });
  }

  /**
   * The settings with their credentials decrypted. One that cannot be decrypted (written under
   * another ENCRYPTION_KEY, a restored backup) is left out and logged: it must not take every
   * other setting, and so every key, down with it. Its id is returned apart, so the proxy can
   * answer its keys with the server fault it is, and readiness can tell a wrong ENCRYPTION_KEY.
   */
  async loadResolved(ids?: string[]): Promise<LoadedSettings> {
    return this.resolveAll(await this.list(ids));
  }

  /** loadResolved for the settings changed since a previous read's newest updated_at (see rowsChangedSince). */
  async loadResolvedChangedSince(since: Date | null): Promise<LoadedSettings> {
    return this.resolveAll(await rowsChangedSince(this.repository, since));
  }

  private resolveAll(rows: ProviderSettingEntity[]): LoadedSettings {
    const loaded: LoadedSettings = { readable: [], unreadableIds: [], newestUpdate: newestUpdate(null, rows) };
    for (const row of rows) {
      try {
        loaded.readable.push(this.resolve(row));
      } catch (error) {
        // The cipher's and JSON's messages name no secret.
        this.logger.error({ err: error, settingId: row.id, provider: row.provider }, 'provider setting cannot be read (decrypted with this ENCRYPTION_KEY): left out');
        loaded.unreadableIds.push(row.id);
      }
    }
    return loaded;
  }

  private resolve(row: ProviderSettingEntity): ResolvedProviderSetting {
    return {
      id: row.id,
      name: row.name,
      provider: row.provider as ProviderId,
      options: row.options,
      credentials: this.decryptCredentials(row),
      allowedModels: row.allowedModels,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  private readableCredentials(row: ProviderSettingEntity): Record<string, string> {
    try {
      return this.decryptCredentials(row);
    } catch {
      return {};
    }
  }

  private decryptCredentials(row: ProviderSettingEntity): Record<string, string> {
    return JSON.parse(this.cipher.decrypt(row.credentialsCiphertext)) as Record<string, string>;
  }
}

/** Splits the admin's setting map into clear options and secret credentials. */
export function splitSetting(setting: Record<string, string | null>): {
  options: ProviderSettingOptions;
  credentials: Record<string, string>;
} {
  const options: ProviderSettingOptions = {};
  const credentials: Record<string, string> = {};
  for (const [rawField, value] of Object.entries(setting)) {
    if (typeof value !== 'string') continue;
    // The reference spells it both "apikey" and "apiKey".
    const field = rawField.toLowerCase() === 'apikey' ? 'apiKey' : rawField;
    if ((OPTION_FIELDS as readonly string[]).includes(field)) {
      (options as Record<string, string>)[field] = value;
      continue;
    }
    // Sent in a header (Authorization, api-key, x-api-key, x-goog-api-key): a value a header
    // cannot carry made every request of the setting fail with a 502. Named as the client spelt it.
    if (!HEADER_SAFE_TEXT.test(value)) {
      throw new GatewayError(
        GatewayErrorCode.InvalidRequest,
        `setting.${rawField} must be printable ASCII with no space at either end: it is sent in an HTTP header, which carries nothing else unchanged`,
        `setting.${rawField}`,
      );
    }
    credentials[field] = value;
  }
  if (options.url !== undefined) options.url = validateBaseUrl(options.url);
  // Interpolated into https://<resourceName>.openai.azure.com: a DNS label, nothing else.
  if (options.resourceName !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,62})$/i.test(options.resourceName)) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'setting.resourceName must be an Azure resource name (letters, digits, hyphens)', 'setting.resourceName');
  }
  return { options, credentials };
}

function validateBaseUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'setting.url must be an absolute http(s) URL', 'setting.url');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'setting.url must use http or https', 'setting.url');
  }
  if (parsed.username || parsed.password) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'setting.url must not carry credentials', 'setting.url');
  }
  // Operation paths are appended to the base URL: after a query or a fragment they would be
  // read as part of it, and every request would reach the wrong endpoint.
  if (parsed.search !== '' || parsed.hash !== '' || /[?#]/.test(raw)) {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, 'setting.url must not carry a query or a fragment: it is the base URL that operation paths are appended to', 'setting.url');
  }
  // The SSRF guard's literal checks (https unless UPSTREAM_ALLOWED_HOSTS lists the host; no
  // internal address in any notation). Names are resolved and checked on every connection.
  try {
    processOutboundGuard.checkUrl(parsed.toString());
  } catch (error) {
    if (error instanceof OutboundRefusedError) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, `setting.url is not allowed: ${error.message}`, 'setting.url');
    }
    throw error;
  }
  return parsed.toString().replace(/\/+$/, '');
}

function assertComplete(
  provider: ProviderId,
  options: ProviderSettingOptions,
  credentials: Record<string, string>,
): void {
  const present = { ...options, ...credentials } as Record<string, string | undefined>;
  for (const alternatives of REQUIRED_FIELDS[provider]) {
    if (!alternatives.some((field) => typeof present[field] === 'string' && present[field] !== '')) {
      throw new GatewayError(
        GatewayErrorCode.InvalidRequest,
        `setting.${alternatives.join(' or setting.')} is required for provider ${provider}`,
        `setting.${alternatives[0]}`,
      );
    }
  }
}

/**
 * A custom provider's credential is found by its name (the custom provider's): a custom
 * setting without one could never be used.
 */
function assertNamedIfCustom(provider: ProviderId, name: string): void {
  if (provider === ProviderId.Custom && name.trim() === '') {
    throw new GatewayError(GatewayErrorCode.InvalidRequest, "name is required for provider custom: the custom provider's name, which finds this credential", 'name');
  }
}
