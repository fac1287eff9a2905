/**
 * The chatapi `docs` transport (Doc B, chatapi.seed.md) through the shared suite, against
 * test/servers/chatapi; its own details (close codes 4001–4004, the app ping, connection_status…) are
 * in chatapi.test.ts.
 */
import { chatapiSuite, type ChatApiDriver } from './chatapi-suite.js';
import { startChatApiServer } from '../servers/chatapi/server.js';

const ROOM = '550e8400-e29b-41d4-a716-446655440001';
const OTHER = '550e8400-e29b-41d4-a716-446655440009';

chatapiSuite('docs', async (): Promise<ChatApiDriver> => {
  const s = await startChatApiServer({ rooms: [{ id: ROOM, name: 'general' }, { id: OTHER, name: 'random' }] });
  const envelope = (type: string, data: unknown): unknown => ({ type, data, timestamp: new Date().toISOString(), room_id: ROOM });
  return {
    url: s.url,
    room: ROOM,
    other: OTHER,
    profile: { protocol: 'docs', userId: 'alice', userName: 'Alice' },
    token: s.apiKey,
    bad: 'sk_wrong_key',
    post: (room, sender, text) => s.post(room, { sender_id: sender, sender_name: 'Bob', content: text }).id,
    store: (room, sender, text) => s.post(room, { sender_id: sender, sender_name: 'Bob', content: text }, { broadcast: false }).id,
    typing: (room, user, on) => s.typing(room, user, 'Bob', on),
    online: (user) => s.join(ROOM, user, 'Bob'),
    offline: (user) => s.leave(ROOM, user, 'Bob'),
    typingSent: () => s.sockets.flatMap((x) => x.frames).flatMap((f) => ((f as { type?: string } | undefined)?.type === 'typing' ? [(f as { data: { is_typing: boolean } }).data.is_typing] : [])),
    push: (frame, binary) => s.push(ROOM, frame, { binary: binary ?? false }),
    hostile: ['not json', '{"type":', '[]', 'null', { type: 42 }, { type: 'message', data: 'x' }, { type: 'message', data: { id: { a: 1 } } }, { type: 'typing', data: { user_id: 7 } }, { type: 'connection_status', data: { online_users: 'all' } }],
    validFrame: (r, i, round) =>
      r.int(2)
        ? envelope('message', { id: `fz${round}-${i}`, sender_id: `u${r.int(50)}`, sender_name: `User ${r.int(50)}`, content: `hi ${i}`, created_at: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() })
        : envelope(r.pick(['typing', 'user_joined', 'user_left', 'pong']), { user_id: `u${r.int(50)}`, user_name: 'U', is_typing: true }),
    drop: (code) => s.drop(undefined, code),
    accepted: () => s.sockets.length,
    openNow: () => s.openSockets().length,
    bobName: 'Bob',
    close: () => s.close(),
  };
});
