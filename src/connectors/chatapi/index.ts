import type { ConnectorContext, ConnectorDefinition, ConnectorSession } from '../../core/connector.js';
import { UsageError } from '../../core/errors.js';
import type { Profile } from '../../core/profile.js';
import { ProbingSession } from './auto.js';
import { PROTOCOL_SETTINGS, probeProtocol, protocolSetting, type ChatApiProtocol } from './protocol.js';
import { CHATAPI_CAPABILITIES, ChatApiSession, DEFAULT_URL, type ChatApiSessionOptions } from './session.js';
import { SocketIoSession, type SocketIoSessionOptions } from './socketio/session.js';
import { V2Session, type V2SessionOptions } from './v2/session.js';

/**
 * The chatapi connector: one connector for the three servers that answer to the name ChatAPI
 * (facts §B1), each a transport behind the same session contract, chosen by the profile's
 * `protocol` (protocol.ts): `docs` — the protocol of "Doc B" (chatapi.seed.md, session.ts), a
 * WebSocket per room; `socketio` — the Python server (facts §B3–B5, socketio/); `v2` — the Go
 * rewrite (facts §B6, v2/); `auto` — probed once, then stored.
 */

export { CHATAPI_CAPABILITIES, ChatApiSession, DEFAULT_URL, type ChatApiSessionOptions } from './session.js';
export { DocBTransport, chatapiUrls, type ChatApiTransport } from './transport.js';
export { probeProtocol, protocolSetting, type ChatApiProtocol, type ProtocolSetting } from './protocol.js';

/** Test tunables of every chatapi transport. */
export type ChatApiOptions = ChatApiSessionOptions & V2SessionOptions & SocketIoSessionOptions;

/**
 * Checks a chatapi profile (throws UsageError, one line): the user id and name go on the socket and
 * into sends (Doc B "Connection Parameters"; Socket.IO `auth`; v2 `X-User-Id`): short single lines;
 * `protocol` is one of auto, docs, socketio, v2.
 */
export function validateChatApiProfile(p: Profile): void {
  for (const [flag, v] of [['--user-id', p.userId], ['--user-name', p.userName]] as const) {
    if (v === undefined) continue;
    if (v.trim() === '' || v.length > 200 || /[\u0000-\u001f\u007f]/.test(v)) {
      throw new UsageError(`chatapi ${flag}: must be a non-empty single line of at most 200 characters`);
    }
  }
  if (p.protocol !== undefined && !(PROTOCOL_SETTINGS as readonly string[]).includes(p.protocol)) {
    throw new UsageError(`chatapi --protocol: "${p.protocol.slice(0, 40)}" is none of ${PROTOCOL_SETTINGS.join(', ')}`);
  }
}

/** The session of one protocol. */
function sessionOf(protocol: ChatApiProtocol, ctx: ConnectorContext, opts: ChatApiOptions): ConnectorSession {
  switch (protocol) {
    case 'v2':
      return new V2Session(ctx, opts);
    case 'socketio':
      return new SocketIoSession(ctx, opts);
    default:
      return new ChatApiSession(ctx, opts);
  }
}

/** Creates the session of the profile's protocol (`auto`: probed at connect), with test tunables; `definition.create` uses the defaults. */
export function createChatApiSession(ctx: ConnectorContext, opts: ChatApiOptions = {}): ConnectorSession {
  const setting = protocolSetting(ctx.profile);
  if (setting === 'auto') return new ProbingSession(ctx, (p, c) => sessionOf(p, c, opts), CHATAPI_CAPABILITIES, opts.backoff);
  return sessionOf(setting, ctx, opts);
}

/**
 * `profile add`: a new profile's `auto` (or unset) protocol is probed now and the answer stored; when
 * the server cannot be reached nothing is stored (no protocol means `auto`: probed at the next connect).
 */
async function probe(p: Profile): Promise<Partial<Profile>> {
  if (p.protocol !== undefined && p.protocol !== 'auto') return {};
  const found = await probeProtocol(p.url ?? DEFAULT_URL);
  return found ? { protocol: found } : {};
}

/** The registry entry for `chatapi`. */
export const definition: ConnectorDefinition = {
  id: 'chatapi',
  displayName: 'chatapi',
  defaultUrl: DEFAULT_URL,
  capabilities: CHATAPI_CAPABILITIES,
  profileFields: [
    { key: 'url', description: `server base: http://host:8000 (docs, socketio) or http://host:8080 (v2) (default ${DEFAULT_URL})` },
    { key: 'token', required: true, description: 'API key, scoped key or JWT (--token, --token-env or --token-cmd)' },
    { key: 'rooms', description: 'room ids to open (--room, repeatable); chat-tui rooms lists them' },
    { key: 'userId', description: 'your user id: user_id on the socket (docs, socketio), X-User-Id (v2 with an API key) (--user-id)' },
    { key: 'userName', description: 'your display name (--user-name)' },
    { key: 'sendTyping', description: 'send typing indicators (default true)' },
    { key: 'protocol', description: 'the server: auto (probe once), docs, socketio (Python), v2 (Go) (--protocol)' },
  ],
  validate: validateChatApiProfile,
  create: (ctx) => createChatApiSession(ctx),
  probe,
};
