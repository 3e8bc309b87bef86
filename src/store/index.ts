export { openStore, recordAnalysis, type Store, type OpenStoreOptions } from './store.ts';
export { loadStoreConfig, defaultDataDir, describePostgresUrl, StoreEnv, type StoreConfig, type StoreConfigOverrides } from './store-config.ts';
export * from './errors.ts';
export * from './types.ts';
