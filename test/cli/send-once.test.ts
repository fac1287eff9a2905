import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { Cli } from './helpers.js';

// `send` posts once. When that one POST fails after it went out, it reads the room for our copy instead
// of posting again: found, the message is printed as sent; not found, it says the message may have been sent.

const ROOM = '6c8d2e1a-0000-4000-8000-0000000005e1';

describe('send: a failure after the message went out', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  it('stored then 500 or dropped: printed as sent, one copy; not stored: "may have been sent", exit 1', { timeout: 90_000 }, async () => {
    const s = await startChatApiServer({ rooms: [{ id: ROOM, name: 'lobby' }] });
    try {
      const add = await cli.run(['profile', 'add', 'c', '--service', 'chatapi', '--protocol', 'docs', '--url', s.url, '--token', s.apiKey, '--room', ROOM, '--user-id', 'me', '--user-name', 'Me']);
      assert.equal(add.code, 0, add.stderr);
      for (const mode of ['500', 'drop'] as const) {
        s.storeThenFail(mode, { broadcast: false });
        const r = await cli.run(['send', '--profile', 'c', '--json', `stored ${mode}`]);
        assert.equal(r.code, 0, r.stderr);
        const line = JSON.parse(r.stdout.trim()) as { type: string; text: string; id: string };
        assert.equal(line.type, 'message');
        assert.equal(line.text, `stored ${mode}`);
        const copies = s.messages.get(ROOM)?.filter((m) => m.content === `stored ${mode}`) ?? [];
        assert.equal(copies.length, 1);
        assert.equal(line.id, copies[0]?.id);
      }
      s.storeThenFail('500', { store: false });
      const r = await cli.run(['send', '--profile', 'c', 'lost']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /may have been sent: check with chat-tui history/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(s.requests.filter((q) => q.method === 'POST').length, 3, 'each send posted once');
    } finally {
      await s.close();
    }
  });
});
