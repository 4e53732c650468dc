export { ApiKeyEntity } from './api-key.entity';
export { ApiKeyHasher, KeyHashScheme, legacyKeyHash } from './key-hash';
export { KeyHashUpgrader } from './key-hash-upgrader';
export { KeysModule } from './keys.module';
export { CreateKeyInput, KeyLimits, KeyListFilter, KeySearch, KeysService, UpdateKeyInput } from './keys.service';
