import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';
import type { Profile } from '../../core/profile.js';
import { login } from './login.js';
import { TALKEE_CAPABILITIES, TalkeeSession, type TalkeeSessionOptions } from './session.js';
import { DEFAULT_API_URL, DEFAULT_URL } from './urls.js';

/**
 * The talkee connector (pandodao/talkee; ../shared/protocols/talkee.facts.md).
 * A profile names a site id and one or more slugs; each (site id, slug) is a room with its own socket.
 */

export { DEFAULT_API_URL, DEFAULT_URL } from './urls.js';
export { TalkeeSession, TALKEE_CAPABILITIES, type TalkeeSessionOptions } from './session.js';

/**
 * Checks a talkee profile (throws UsageError, one line): `siteId` a positive integer (facts §3: the
 * server refuses 0 and anything not > 0 with "invalid site id"), at least one non-empty slug.
 */
export function validateTalkeeProfile(p: Profile): void {
  if (p.siteId === undefined || p.siteId === null) {
    throw new UsageError('talkee needs --site-id N (the numeric id of the site in the Pando developer console)');
  }
  if (!Number.isSafeInteger(p.siteId) || p.siteId <= 0) {
    throw new UsageError(`talkee --site-id must be a positive whole number, not ${String(p.siteId).slice(0, 40)}`);
  }
  if (!p.rooms || p.rooms.length === 0) {
    throw new UsageError('talkee needs at least one --room SLUG (each slug of the site is a room; the embed default is the page path)');
  }
  for (const slug of p.rooms) {
    if (slug === '') throw new UsageError('talkee --room: empty slug');
  }
}

/** Creates a session with test tunables (idle timeout, backoff…); `definition.create` uses the defaults. */
export function createTalkeeSession(ctx: ConnectorContext, opts: TalkeeSessionOptions = {}): TalkeeSession {
  return new TalkeeSession(ctx, opts);
}

/** The registry entry for `talkee`. */
export const definition: ConnectorDefinition = {
  id: 'talkee',
  displayName: 'talkee',
  defaultUrl: DEFAULT_URL,
  capabilities: TALKEE_CAPABILITIES,
  profileFields: [
    { key: 'siteId', required: true, description: 'numeric site id from the Pando developer console (--site-id)' },
    { key: 'rooms', required: true, description: 'slugs to follow, one room each (--room SLUG, repeatable)' },
    { key: 'token', description: 'Talkee access token (--token), or run: chat-tui login --profile P --mixin-token T' },
    { key: 'url', description: `chat base: socket at it, POST/GET /messages under it (default ${DEFAULT_URL})` },
    { key: 'apiUrl', description: `REST API base for login (--api-url, default ${DEFAULT_API_URL})` },
  ],
  validate: validateTalkeeProfile,
  create: (ctx) => new TalkeeSession(ctx),
  login,
};
