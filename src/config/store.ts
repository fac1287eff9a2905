import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Conf from 'conf';
import { UsageError } from '../core/errors.js';
import type { NamedProfile, Profile } from '../core/profile.js';
import { validate as validateConfigFile } from './config-validator.generated.js';
import { configDir, ensureSecureDir, FILE_MODE } from './paths.js';
import { configSchema, type ConfigShape } from './schema.js';

export { profileSchema } from './schema.js';

// `conf` is loaded on the first write only: importing it loads ajv and compiling the schema costs
// 300-600 ms, which was most of the TUI's warm start. Node >= 22.12 runs require() of an ES module.
const requireModule = createRequire(import.meta.url);

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
 * Profiles in `config.json`. Reads parse the file afresh each time (another process may have written it)
 * and check it with the validator compiled ahead of time from `configSchema`; writes go through `conf`
 * (atomic, mode 0600, checked against the same schema), which is loaded on the first write.
 * Construction checks/fixes the directory and file modes (warning through `warn`) and reads the file
 * once. Every method is synchronous. Errors reading the file (bad JSON, not an object, schema
 * violation) become UsageError (exit 2) naming the file and how to move it aside.
 */
export class ConfigStore {
  /** The config directory (also the state directory). */
  readonly dir: string;
  /** Full path of config.json. */
  readonly path: string;
  private conf: Conf<ConfigShape> | undefined;

  private constructor(dir: string) {
    this.dir = dir;
    this.path = path.join(dir, 'config.json');
  }

  /** Opens (creating the 0700 directory when missing) the config store. Throws UsageError on a broken file. */
  static open(opts: ConfigStoreOptions = {}): ConfigStore {
    const dir = opts.dir ?? configDir();
    try {
      ensureSecureDir(dir, opts.warn);
    } catch (err) {
      throw new UsageError(`cannot create the config directory ${dir}: ${(err as Error).message.split('\n')[0]}`);
    }
    const store = new ConfigStore(dir);
    store.read();
    return store;
  }

  /** All profiles, sorted by name. */
  list(): NamedProfile[] {
    return Object.entries(this.profiles())
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, p]) => ({ ...p, name }));
  }

  /** One profile by name, or undefined. */
  get(name: string): NamedProfile | undefined {
    const all = this.profiles();
    const p = Object.hasOwn(all, name) ? all[name] : undefined;
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
    const d = this.read().defaultProfile;
    return typeof d === 'string' ? d : undefined;
  }

  /** Sets (a profile that exists; UsageError otherwise) or clears (undefined) the default profile. */
  setDefaultProfile(name: string | undefined): void {
    try {
      if (name === undefined) this.writer().delete('defaultProfile');
      else {
        const chosen = this.require(name).name;
        this.writer().set('defaultProfile', chosen);
      }
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot save the default profile: ${oneLine(err)}`);
    }
  }

  /** Free-form settings; {} when none. */
  settings(): Record<string, unknown> {
    const s = this.read().settings;
    return s && typeof s === 'object' ? { ...s } : {};
  }

  /** The `ui` section (TUI options: `timeFormat`, `bell`, `mouse`, `keys`); {} when none. */
  ui(): Record<string, unknown> {
    const s = this.read().ui;
    return s && typeof s === 'object' ? { ...s } : {};
  }

  /** The `archive` value as written (`false`, an object of limits, or undefined); see archiveSettings. */
  archive(): unknown {
    return this.read().archive;
  }

  private profiles(): Record<string, Profile> {
    const p = this.read().profiles;
    return p && typeof p === 'object' ? p : {};
  }

  private write(all: Record<string, Profile>): void {
    try {
      this.writer().set('profiles', all);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot save the profile: ${oneLine(err)}`);
    }
  }

  /** The file's content, checked; {} when there is none. Throws UsageError (see the class). */
  private read(): Partial<ConfigShape> {
    return readConfigFile(this.path);
  }

  /** The `conf` instance writes go through, made on the first write. Throws UsageError on a broken file. */
  private writer(): Conf<ConfigShape> {
    if (this.conf) return this.conf;
    try {
      const { default: ConfClass } = requireModule('conf') as typeof import('conf');
      this.conf = new ConfClass<ConfigShape>({
        projectName: 'chat-tui',
        projectSuffix: '',
        cwd: this.dir,
        configName: 'config',
        configFileMode: FILE_MODE,
        schema: configSchema,
        clearInvalidConfig: false,
        accessPropertiesByDotNotation: false,
      });
      return this.conf;
    } catch (err) {
      throw unusable(this.path, oneLine(err));
    }
  }
}

/** The UsageError for a config file that cannot be used: `why` (one line, a final `.` dropped), then the fix. */
function unusable(file: string, why: string): UsageError {
  return new UsageError(`config file ${file} is unusable: ${why.replace(/\.$/, '')}; ${moveAside(file)}`);
}

/** The fix for a broken config file: where it is and how to move it aside (so nothing in it is lost). */
export function moveAside(file: string): string {
  return `fix it by hand, or move it aside: mv '${file}' '${file}.broken'`;
}

/**
 * Reads and checks `config.json` the way `conf` reads it (JSON, an object, `configSchema` with the same
 * ajv options), without loading ajv: the schema is compiled ahead of time (config-validator.generated.ts).
 * Returns {} for a missing file. Throws UsageError naming the file and the fix when the file cannot be
 * read, is not JSON, is valid JSON but not an object (an array, a string, null: `conf` would treat it as
 * empty and the next save would overwrite it), or breaks the schema.
 */
function readConfigFile(file: string): Partial<ConfigShape> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw unusable(file, oneLine(err));
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    // The wording of conf's own read (`The config file … is not valid JSON.`): JSON.parse's message
    // quotes the file around the error, which may be a token.
    throw unusable(file, `The config file \`${file}\` is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new UsageError(`config file ${file} is not a JSON object (it holds ${kind}); ${moveAside(file)}`);
  }
  if (!validateConfigFile(value)) {
    const errors = (validateConfigFile as unknown as { errors?: SchemaError[] | null }).errors ?? [];
    const violation = errors.map((e) => `\`${keyOfError(e)}\` ${e.message ?? ''}`).join('; ');
    throw unusable(file, `Config schema violation: ${violation}`);
  }
  return value as Partial<ConfigShape>;
}

/** The fields of an ajv error that name the key it is about. */
interface SchemaError {
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * The key an ajv error is about, written as `conf` writes it in its schema-violation message: the JSON
 * pointer of the value (with `~1`/`~0` read back as `/`/`~`), plus the key a rule about keys names.
 */
function keyOfError({ instancePath, params }: SchemaError): string {
  const level = instancePath.slice(1).replaceAll(/~([01])/g, (_m, c: string) => (c === '0' ? '~' : '/'));
  const key = params.additionalProperty ?? params.unevaluatedProperty ?? params.propertyName;
  if (typeof key !== 'string') return level;
  return level === '' ? key : `${level}/${key}`;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
}
