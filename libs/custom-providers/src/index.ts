export { CustomProviderEntity } from './custom-provider.entity';
export { CustomProviderRecord, matchRoute, toCustomProviderRecord } from './custom-provider-record';
export { CustomProviderRegistry } from './custom-provider-registry';
export { normalizeAuthenticationParam, normalizeProviderName, toCredentialHeaders } from './custom-provider-rules';
export { CreateCustomProviderInput, CustomProvidersService, UpdateCustomProviderInput } from './custom-providers.service';
export { CustomProvidersModule } from './custom-providers.module';
export { JsonLocation, LocationSyntaxError, booleanAt, parseLocation, stringAt, textAt, valueAt } from './json-location';
export { CompiledRoute, RouteConfig, RouteConfigError, validateRouteConfigs } from './route-config';
