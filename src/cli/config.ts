import { ConfigStore } from '../config/store.js';
import { errLine } from './io.js';

let store: ConfigStore | undefined;

/**
 * The config store of this process, opened on first use: creates/fixes the 0700 directory and 0600 files
 * (warning on stderr when it had to tighten them). Throws UsageError on a broken config file.
 */
export function config(): ConfigStore {
  store ??= ConfigStore.open({ warn: errLine });
  return store;
}
