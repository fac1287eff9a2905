/** Profiles, secrets, validation and the config/state directory. */
export { configDir, stateDir, ensureSecureDir, modeOf, DIR_MODE, FILE_MODE } from './paths.js';
export { ConfigStore, checkProfileName, PROFILE_NAME, profileSchema } from './store.js';
export type { ConfigStoreOptions } from './store.js';
export { resolveToken, redact, registerSecret, registerProfileSecrets, describeCredential, TOKEN_CMD_TIMEOUT_MS } from './secrets.js';
export { validateProfile, checkServiceUrl, isLoopbackHost, credentialSources, needsCredential } from './validate.js';
