import fs from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { UsageError } from '../core/errors.js';
import type { NamedProfile, Profile } from '../core/profile.js';
import { configDir, ensureSecureDir, FILE_MODE } from './paths.js';

/**
 * The config file: `{ "profiles": { NAME: Profile }, "settings": { … } }` in `config.json`,
 * written by `conf` (atomic writes, mode 0600) in a 0700 directory (`configDir()`).
 * The schema is deliberately lenient about extra keys (newer versions may add fields) but checks the
 * types of the fields we read, so a hand-edited file with a wrong type is a clear usage error.
 */
interface ConfigShape {
  profiles: Record<string, Profile>;
  settings: Record<string, unknown>;
  /** TUI options (time format, bell, mouse, key rebinding `keys`), read by `chat-tui` (src/ui types.ts UiOptions). */
  ui: Record<string, unknown>;
  /** The profile the headless commands use when none is named (`chat-tui profile default NAME`). */
  defaultProfile?: string;
  /** The local archive: `false` = off, or limits `{ maxAgeDays, maxMessages }` (src/core/archive/settings.ts). */
  archive?: boolean | { enabled?: boolean; maxAgeDays?: number; maxMessages?: number };
}

const stringArray = { type: 'array', items: { type: 'string' } } as const;

/** JSON schema of one profile (src/core/profile.ts). */
export const profileSchema = {
  type: 'object',
  required: ['service'],
  properties: {
    service: { type: 'string', minLength: 1 },
    url: { type: 'string' },
    token: { type: 'string' },
    tokenEnv: { type: 'string' },
    tokenCmd: { type: 'string' },
    rooms: stringArray,
    userId: { type: 'string' },
    userName: { type: 'string' },
    clientId: { type: 'string' },
    clientSecret: { type: 'string' },
    siteId: { type: 'integer' },
    apiUrl: { type: 'string' },
    aliases: { type: 'object', additionalProperties: { type: 'string' } },
    insecure: { type: 'boolean' },
    sendTyping: { type: 'boolean' },
    protocol: { type: 'string' },
    tokenIssuedAt: { type: 'string' },
    tokenExpiresAt: { type: 'string' },
  },
} as const;

const schema = {
  profiles: { type: 'object', additionalProperties: profileSchema },
  settings: { type: 'object' },
  ui: { type: 'object' },
  defaultProfile: { type: 'string' },
  archive: {
    anyOf: [
      { type: 'boolean' },
      { type: 'object', properties: { enabled: { type: 'boolean' }, maxAgeDays: { type: 'number', minimum: 0 }, maxMessages: { type: 'integer', minimum: 0 } } },
    ],
  },
} as const;

/** Allowed profile names: start with a letter or digit, then letters, digits, `.`, `_`, `-`; at most 64. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws UsageError unless `name` is a valid profile name. */
export function checkProfileName(name: string): void {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`invalid profile name "${name.slice(0, 70)}": use letters, digits, ".", "_" or "-" (at most 64)`);
  }
}

/** Options of `ConfigStore.open`. `dir` defaults to `configDir()`; `warn` gets permission fixes (one line each). */
export interface ConfigStoreOptions {
  dir?: string;
  warn?: (line: string) => void;
}

/**
 * Profiles on `conf`. Construction checks/fixes the directory and file modes (warning through `warn`).
 * Every method is synchronous; writes are atomic. Errors reading the file (bad JSON, schema violation)
 * become UsageError (exit 2) naming the file.
 */
export class ConfigStore {
  /** The config directory (also the state directory). */
  readonly dir: string;
  /** Full path of config.json. */
  readonly path: string;
  private readonly conf: Conf<ConfigShape>;

  private constructor(dir: string, conf: Conf<ConfigShape>) {
    this.dir = dir;
    this.conf = conf;
    this.path = conf.path;
  }

  /** Opens (creating the 0700 directory when missing) the config store. Throws UsageError on a broken file. */
  static open(opts: ConfigStoreOptions = {}): ConfigStore {
    const dir = opts.dir ?? configDir();
    try {
      ensureSecureDir(dir, opts.warn);
    } catch (err) {
      throw new UsageError(`cannot create the config directory ${dir}: ${(err as Error).message.split('\n')[0]}`);
    }
    checkConfigFile(path.join(dir, 'config.json'));
    try {
      const conf = new Conf<ConfigShape>({
        projectName: 'chat-tui',
        projectSuffix: '',
        cwd: dir,
        configName: 'config',
        configFileMode: FILE_MODE,
        schema,
        clearInvalidConfig: false,
        accessPropertiesByDotNotation: false,
      });
      return new ConfigStore(dir, conf);
    } catch (err) {
      const file = path.join(dir, 'config.json');
      throw new UsageError(`config file ${file} is unusable: ${oneLine(err).replace(/\.$/, '')}; ${moveAside(file)}`);
    }
  }

  /** All profiles, sorted by name. */
  list(): NamedProfile[] {
    return Object.entries(this.profiles())
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, p]) => ({ ...p, name }));
  }

  /** One profile by name, or undefined. */
  get(name: string): NamedProfile | undefined {
    const p = Object.hasOwn(this.profiles(), name) ? this.profiles()[name] : undefined;
    return p ? { ...p, name } : undefined;
  }

  /** One profile by name; UsageError (exit 2) naming the known profiles when it does not exist. */
  require(name: string): NamedProfile {
    const p = this.get(name);
    if (p) return p;
    const names = Object.keys(this.profiles());
    const known = names.length ? `; profiles: ${names.sort().join(', ')}` : '; add one with: chat-tui profile add NAME --service SERVICE …';
    throw new UsageError(`no profile named "${name}"${known}`);
  }

  /** Writes (creates or replaces) a profile. Throws UsageError when the schema refuses it. */
  set(name: string, profile: Profile): void {
    checkProfileName(name);
    const all = { ...this.profiles(), [name]: stripUndefined(profile) };
    this.write(all);
  }

  /** Merges `patch` into an existing profile (fields set to undefined are removed). */
  update(name: string, patch: Partial<Profile>): void {
    const current = this.require(name);
    const { name: _omit, ...rest } = current;
    this.set(name, { ...rest, ...patch } as Profile);
  }

  /** Removes a profile; returns false when there was none. */
  remove(name: string): boolean {
    const all = { ...this.profiles() };
    if (!Object.hasOwn(all, name)) return false;
    delete all[name];
    this.write(all);
    if (this.defaultProfile() === name) this.setDefaultProfile(undefined);
    return true;
  }

  /** The configured default profile's name (it may name a profile that no longer exists), or undefined. */
  defaultProfile(): string | undefined {
    const d = this.conf.get('defaultProfile');
    return typeof d === 'string' ? d : undefined;
  }

  /** Sets (a profile that exists; UsageError otherwise) or clears (undefined) the default profile. */
  setDefaultProfile(name: string | undefined): void {
    try {
      if (name === undefined) this.conf.delete('defaultProfile');
      else this.conf.set('defaultProfile', this.require(name).name);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot save the default profile: ${oneLine(err)}`);
    }
  }

  /** Free-form settings; {} when none. */
  settings(): Record<string, unknown> {
    const s = this.conf.get('settings');
    return s && typeof s === 'object' ? { ...s } : {};
  }

  /** The `ui` section (TUI options: `timeFormat`, `bell`, `mouse`, `keys`); {} when none. */
  ui(): Record<string, unknown> {
    const s = this.conf.get('ui');
    return s && typeof s === 'object' ? { ...s } : {};
  }

  /** The `archive` value as written (`false`, an object of limits, or undefined); see archiveSettings. */
  archive(): unknown {
    return this.conf.get('archive');
  }

  private profiles(): Record<string, Profile> {
    const p = this.conf.get('profiles');
    return p && typeof p === 'object' ? p : {};
  }

  private write(all: Record<string, Profile>): void {
    try {
      this.conf.set('profiles', all);
    } catch (err) {
      throw new UsageError(`cannot save the profile: ${oneLine(err)}`);
    }
  }
}

/** The fix for a broken config file: where it is and how to move it aside (so nothing in it is lost). */
export function moveAside(file: string): string {
  return `fix it by hand, or move it aside: mv '${file}' '${file}.broken'`;
}

/**
 * Refuses a config file that is valid JSON but not an object (an array, a string, null): `conf` would
 * treat it as empty and the next save would overwrite it. A missing or unreadable file is left to `conf`.
 * Throws UsageError naming the file and the fix.
 */
function checkConfigFile(file: string): void {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return; // conf reports the JSON error (with moveAside appended)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new UsageError(`config file ${file} is not a JSON object (it holds ${kind}); ${moveAside(file)}`);
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
}
