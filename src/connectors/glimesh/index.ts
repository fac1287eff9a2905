import { capabilitiesOf, type Capabilities, type ConnectorContext, type ConnectorDefinition } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';
import type { Profile } from '../../core/profile.js';
import { login } from './login.js';
import { GLIMESH_TRAITS, type GlimeshSessionOptions } from './capabilities.js';
import { GlimeshSession } from './session.js';

/**
 * The glimesh connector (../shared/protocols/glimesh.facts.md). A profile is one account on a
 * Glimesh server (default https://glimesh.tv; self-hostable, so `--url` matters); each room is a
 * channel, given as the streamer's username (case-insensitive) or the numeric channel id.
 */

export { GLIMESH_TRAITS, type GlimeshSessionOptions } from './capabilities.js';
export { GlimeshSession } from './session.js';
export { clientCredentials, login, tokenExpired } from './login.js';

/** A token profile's capabilities: what the session implements, and the service's traits. */
export const GLIMESH_CAPABILITIES: Capabilities = capabilitiesOf(GlimeshSession.prototype, GLIMESH_TRAITS);

/** The default site. */
export const DEFAULT_URL = 'https://glimesh.tv';

/**
 * Checks a glimesh profile (UsageError, one line): a credential (token source or client id), rooms that
 * look like usernames (facts §6: letters, digits, `.`, `_`, 3–24) or channel ids.
 */
export function validateGlimeshProfile(p: Profile): void {
  if (!p.token && !p.tokenEnv && !p.tokenCmd && !p.clientId) {
    throw new UsageError('glimesh needs --token (or run chat-tui login --client-id ID --client-secret S) or --client-id for read-only access');
  }
  for (const r of p.rooms ?? []) {
    const ref = r.trim();
    if (!/^\d{1,19}$/.test(ref) && !/^[A-Za-z0-9._]{1,40}$/.test(ref)) {
      throw new UsageError(`glimesh --room: "${ref.slice(0, 40)}" is neither a channel username nor a channel id`);
    }
  }
}

/** Creates a session with test tunables; `definition.create` uses the defaults. */
export function createGlimeshSession(ctx: ConnectorContext, opts: GlimeshSessionOptions = {}): GlimeshSession {
  return new GlimeshSession(ctx, opts);
}

/** The registry entry for `glimesh`. */
export const definition: ConnectorDefinition = {
  id: 'glimesh',
  displayName: 'Glimesh',
  defaultUrl: DEFAULT_URL,
  capabilities: GLIMESH_CAPABILITIES,
  profileFields: [
    { key: 'rooms', description: 'channels to follow: the streamer username (case-insensitive) or the channel id (--room, repeatable)' },
    { key: 'token', description: 'access token with scope "chat" to send (--token), or run: chat-tui login --profile P --client-id ID --client-secret S' },
    { key: 'clientId', description: 'OAuth client id (--client-id): read-only access without a token; with --client-secret, used by login and token renewal' },
    { key: 'clientSecret', description: 'OAuth client secret (--client-secret), for login and renewing the token' },
    { key: 'url', description: `site base (default ${DEFAULT_URL}): socket at /api/socket/websocket, GraphQL at /api/graph` },
  ],
  validate: validateGlimeshProfile,
  create: (ctx) => new GlimeshSession(ctx),
  login,
};
