import type { Profile } from '../core/profile.js';

/**
 * The config file: `{ "profiles": { NAME: Profile }, "settings": { … } }` in `config.json`,
 * written by `conf` (atomic writes, mode 0600) in a 0700 directory (`configDir()`).
 * The schema is deliberately lenient about extra keys (newer versions may add fields) but checks the
 * types of the fields we read, so a hand-edited file with a wrong type is a clear usage error.
 */
export interface ConfigShape {
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

/**
 * The `schema` option of `conf`: one JSON schema per top-level key of ConfigShape. `conf` checks every
 * write against it; reads are checked by the validator compiled from it ahead of time
 * (config-validator.generated.ts, `npm run gen:config-validator`).
 */
export const configSchema = {
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

/**
 * The whole-file schema `conf` builds from `configSchema` (`{ type: 'object', properties: configSchema }`),
 * which the ahead-of-time validator is compiled from, so reads and writes check the same thing.
 */
export const configFileSchema = { type: 'object', properties: configSchema } as const;
