export { CredentialCipher } from './credential-cipher';
export { PROVIDER_IDS, ProviderId } from './provider-id';
export { ProviderSettingEntity, ProviderSettingOptions } from './provider-setting.entity';
export { ProviderSettingsModule } from './provider-settings.module';
export {
  ProviderSettingInput,
  ProviderSettingPatch,
  ProviderSettingsService,
  ResolvedProviderSetting,
  splitSetting,
} from './provider-settings.service';
