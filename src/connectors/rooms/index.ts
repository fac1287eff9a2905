import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';
import type { Profile } from '../../core/profile.js';
import { ssoLogin } from './login.js';
import { ROOMS_CAPABILITIES, RoomsSession, type RoomsSessionOptions } from './session.js';

/**
 * The rooms connector (the Tibi API server; ../shared/protocols/rooms.facts.md, rooms.seed.md).
 * One socket per profile carries every room of the account; rooms are discovered, not configured.
 */

export { RoomsSession, ROOMS_CAPABILITIES, type RoomsSessionOptions } from './session.js';
export { ssoLogin, needsRefresh, refreshToken, ssoDeadlineMs } from './login.js';

/**
 * Checks a rooms profile (throws UsageError, one line): a server URL is required (there is no public
 * default server, facts A6); `--room` is optional (rooms are found from messages, facts A1); a room
 * given is a room id or the name of a room found on the server.
 */
export function validateRoomsProfile(p: Profile): void {
  if (!p.url) throw new UsageError('rooms needs --url (the server base, e.g. https://tibi.example.org: socket /chat/connect, REST /chat/*)');
  for (const r of p.rooms ?? []) {
    if (!r.trim()) throw new UsageError('rooms --room: empty room');
  }
  for (const [id, name] of Object.entries(p.aliases ?? {})) {
    if (!id || typeof name !== 'string' || !name.trim()) throw new UsageError('rooms --alias: give ID=NAME');
  }
}

/** Creates a session with test tunables (echo timeout, liveness, backoff…); `definition.create` uses the defaults. */
export function createRoomsSession(ctx: ConnectorContext, opts: RoomsSessionOptions = {}): RoomsSession {
  return new RoomsSession(ctx, opts);
}

/** The registry entry for `rooms`. */
export const definition: ConnectorDefinition = {
  id: 'rooms',
  displayName: 'rooms',
  capabilities: ROOMS_CAPABILITIES,
  profileFields: [
    { key: 'url', required: true, description: 'server base URL: socket at /chat/connect, REST at /chat/*, /user/info, /auth/*' },
    { key: 'token', description: 'auth token (--token), or run: chat-tui login --profile P (single sign-on)' },
    { key: 'rooms', description: 'room ids to open (optional: every room with a message is found by itself)' },
    { key: 'aliases', description: 'names for user ids (--alias ID=NAME, repeatable): the server names posters only by id' },
  ],
  validate: validateRoomsProfile,
  create: (ctx) => new RoomsSession(ctx),
  login: (profile, opts) => ssoLogin(profile, opts),
};
