import type { ConnectorContext, ConnectorDefinition } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';
import type { Profile } from '../../core/profile.js';
import { CHATAPI_CAPABILITIES, ChatApiSession, DEFAULT_URL, type ChatApiSessionOptions } from './session.js';

/**
 * The chatapi connector: the protocol of "Doc B" (../shared/protocols/chatapi.seed.md) —
 * a WebSocket per room at `/ws/{room_id}?token=…` and REST under `/api/v1` — with the REST shapes of
 * chatapi.facts.md §B2. No real ChatAPI server speaks Doc B (facts §B1); the network sits behind
 * `ChatApiTransport` (transport.ts) so a Socket.IO transport for the real server can be added later.
 */

export { CHATAPI_CAPABILITIES, ChatApiSession, DEFAULT_URL, type ChatApiSessionOptions } from './session.js';
export { DocBTransport, chatapiUrls, type ChatApiTransport } from './transport.js';

/**
 * Checks a chatapi profile (throws UsageError, one line): the user id and name go on the socket query
 * string and into sends (Doc B "Connection Parameters"); they must be short single lines.
 */
export function validateChatApiProfile(p: Profile): void {
  for (const [flag, v] of [['--user-id', p.userId], ['--user-name', p.userName]] as const) {
    if (v === undefined) continue;
    if (v.trim() === '' || v.length > 200 || /[\u0000-\u001f\u007f]/.test(v)) {
      throw new UsageError(`chatapi ${flag}: must be a non-empty single line of at most 200 characters`);
    }
  }
}

/** Creates a session with test tunables (heartbeat, backoff, transport…); `definition.create` uses the defaults. */
export function createChatApiSession(ctx: ConnectorContext, opts: ChatApiSessionOptions = {}): ChatApiSession {
  return new ChatApiSession(ctx, opts);
}

/** The registry entry for `chatapi`. */
export const definition: ConnectorDefinition = {
  id: 'chatapi',
  displayName: 'chatapi',
  defaultUrl: DEFAULT_URL,
  capabilities: CHATAPI_CAPABILITIES,
  profileFields: [
    { key: 'url', description: `server base (http://host:8000); socket /ws/{room_id}, REST /api/v1 (default ${DEFAULT_URL})` },
    { key: 'token', required: true, description: 'API key (--token, --token-env or --token-cmd)' },
    { key: 'rooms', description: 'room UUIDs to open (--room, repeatable); chat-tui rooms lists them' },
    { key: 'userId', description: 'your user id, sent as user_id on the socket and sender_id on sends (--user-id)' },
    { key: 'userName', description: 'your display name (--user-name)' },
    { key: 'sendTyping', description: 'send typing indicators (default true)' },
  ],
  validate: validateChatApiProfile,
  create: (ctx) => new ChatApiSession(ctx),
};
