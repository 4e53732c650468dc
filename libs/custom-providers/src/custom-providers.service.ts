import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { saveOrConflict, updateLocked } from '@tollgate/database';
import { CONFIG_CHANGES, ConfigChangeNotifier, ConfigEntity, GatewayError, GatewayErrorCode, isUuid } from '@tollgate/common';
import { OutboundRefusedError, processOutboundGuard } from '@tollgate/providers';
import { Repository } from 'typeorm';
import { normalizeAuthenticationParam, normalizeProviderName } from './custom-provider-rules';
import { CustomProviderEntity } from './custom-provider.entity';
import { RouteConfig, RouteConfigError, validateRouteConfigs } from './route-config';

export interface CreateCustomProviderInput {
  provider: string;
  routeConfigs: RouteConfig[];
  authenticationParam?: string | null;
}

export interface UpdateCustomProviderInput {
  /** Replaces every route when given. */
  routeConfigs?: RouteConfig[];
  /** An empty string restores the default (`Authorization: Bearer`). */
  authenticationParam?: string | null;
}

const MAX_TARGET_URL_LENGTH = 2048;

/**
 * Custom providers: validated (route configs, locations, header name, and each target_url
 * through the process's outbound policy, the SSRF guard configured from UPSTREAM_ALLOWED_HOSTS,
 * DNS included) before they are saved; every write is announced on the config-change bus so
 * every replica's registry reloads the provider.
 */
@Injectable()
export class CustomProvidersService {
  constructor(
    @InjectRepository(CustomProviderEntity) private readonly repository: Repository<CustomProviderEntity>,
    @Inject(CONFIG_CHANGES) private readonly changes: ConfigChangeNotifier,
  ) {}

  async create(input: CreateCustomProviderInput): Promise<CustomProviderEntity> {
    const [provider, authenticationParam, routeConfigs] = validated(() => [
      normalizeProviderName(input.provider),
      normalizeAuthenticationParam(input.authenticationParam),
      validateRouteConfigs(input.routeConfigs),
    ] as const);
    await this.assertTargetsAllowed(routeConfigs);
    const saved = await this.save(this.repository.create({ provider, authenticationParam, routeConfigs }));
    await this.changes.publish({ entity: ConfigEntity.CustomProvider, id: saved.id });
    return saved;
  }

  async update(id: string, input: UpdateCustomProviderInput): Promise<CustomProviderEntity> {
    // Validated (a DNS lookup of each target included) before the row is locked, then applied to
    // the row as it is under the lock: applied to a copy read earlier, a concurrent PATCH of the
    // other field was written over (its 200 notwithstanding).
    const routeConfigs = input.routeConfigs === undefined ? undefined : validated(() => validateRouteConfigs(input.routeConfigs!));
    if (routeConfigs !== undefined) await this.assertTargetsAllowed(routeConfigs);
    const authenticationParam = input.authenticationParam === undefined ? undefined : validated(() => normalizeAuthenticationParam(input.authenticationParam));
    const saved = isUuid(id)
      ? await updateLocked(this.repository, { id }, (existing, repository) => {
          if (routeConfigs !== undefined) existing.routeConfigs = routeConfigs;
          if (authenticationParam !== undefined) existing.authenticationParam = authenticationParam;
          return this.save(existing, repository);
        })
      : null;
    if (!saved) throw new GatewayError(GatewayErrorCode.NotFound, `custom provider ${id} not found`);
    // The stored id: the path's may be in upper case, and replicas look entries up by the stored form.
    await this.changes.publish({ entity: ConfigEntity.CustomProvider, id: saved.id });
    return saved;
  }

  list(): Promise<CustomProviderEntity[]> {
    return this.repository.find({ order: { createdAt: 'ASC' } });
  }

  async getById(id: string): Promise<CustomProviderEntity | null> {
    return isUuid(id) ? this.repository.findOneBy({ id }) : null;
  }

  /** Every target must pass the SSRF guard now (scheme, literal addresses and resolved addresses). */
  private async assertTargetsAllowed(routeConfigs: RouteConfig[]): Promise<void> {
    for (const [index, config] of routeConfigs.entries()) {
      const field = `route_configs[${index}].target_url`;
      if (config.targetUrl.length > MAX_TARGET_URL_LENGTH) {
        throw new GatewayError(GatewayErrorCode.InvalidRequest, `${field} must be at most ${MAX_TARGET_URL_LENGTH} characters`, field);
      }
      try {
        const url = await processOutboundGuard.assertSafeUrl(config.targetUrl);
        if (url.hash) throw new GatewayError(GatewayErrorCode.InvalidRequest, `${field} must not have a #fragment`, field);
      } catch (error) {
        if (error instanceof OutboundRefusedError) throw new GatewayError(GatewayErrorCode.InvalidRequest, `${field} is not allowed: ${error.message}`, field);
        throw error;
      }
    }
  }

  private save(entity: CustomProviderEntity, repository = this.repository): Promise<CustomProviderEntity> {
    return saveOrConflict(repository, entity, `a custom provider named ${entity.provider} already exists`, 'provider');
  }
}

/** Runs pure validation, turning its errors into the API's 400. */
function validated<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof RouteConfigError) throw new GatewayError(GatewayErrorCode.InvalidRequest, error.message, error.field);
    throw error;
  }
}
