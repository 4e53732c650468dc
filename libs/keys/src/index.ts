export { ApiKeyEntity } from './api-key.entity';
export { hashApiKey } from './key-hash';
export { KeysModule } from './keys.module';
export { CreateKeyInput, KeyLimits, KeyListFilter, KeySearch, KeysService, UpdateKeyInput } from './keys.service';
