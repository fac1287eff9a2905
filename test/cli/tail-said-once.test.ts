import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startChatApiServer, type ChatApiTestServer } from '../servers/chatapi/server.js';
import { Cli, lines, waitFor } from './helpers.js';

/**
 * `tail` against a chatapi server (one socket per room, facts §B): an API key refused by every room's
 * socket is one cause, said once (plain and --json); `--json` events about a room whose name is known
 * carry `roomName` beside `room`.
 */
describe('tail: one cause said once; roomName', () => {
  const cli = new Cli();
  let server: ChatApiTestServer;
  const rooms = ['550e8400-e29b-41d4-a716-446655440001', '550e8400-e29b-41d4-a716-446655440002', '550e8400-e29b-41d4-a716-446655440003'];
  before(async () => {
    server = await startChatApiServer({ rooms: rooms.map((id, i) => ({ id, name: ['general', 'random', 'help'][i]! })) });
    for (const [name, key] of [['bad', 'sk_wrong_key_000000'], ['good', server.apiKey]] as const) {
      const r = await cli.run(['profile', 'add', name, '--service', 'chatapi', '--url', server.url, '--token', key, '--user-id', 'u1', '--user-name', 'U', ...rooms.flatMap((id) => ['--room', id])]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await server.close();
    cli.dispose();
  });

  it('a refused key: one error line in plain output (not one per room, not again at the end), exit 1', async () => {
    const r = await cli.run(['tail', '--profile', 'bad']);
    assert.equal(r.code, 1, r.stderr);
    const said = lines(r.stderr).filter((l) => /\bauth\b|unauthori[sz]ed|refused the API key/i.test(l));
    assert.equal(said.length, 1, r.stderr);
  });

  it('a refused key: one error event with --json', async () => {
    const r = await cli.run(['tail', '--profile', 'bad', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const errors = lines(r.stdout).map((l) => JSON.parse(l) as { type: string }).filter((e) => e.type === 'error');
    assert.equal(errors.length, 1, r.stdout);
  });

  it('--json: a message carries roomName (the room\'s name) and room (its id)', async () => {
    const t = cli.start(['tail', '--profile', 'good', '--json']);
    try {
      await waitFor(() => t.stdout.includes('"connected"'), 15_000, 'tail to connect');
      await new Promise((r) => setTimeout(r, 300));
      server.post(rooms[1]!, { sender_id: 'u2', sender_name: 'Jane', content: 'hello there' });
      const line = await waitFor(() => lines(t.stdout).find((l) => l.includes('hello there')), 15_000, 'the message');
      const ev = JSON.parse(line) as Record<string, unknown>;
      assert.equal(ev.room, rooms[1]);
      assert.equal(ev.roomName, 'random');
    } finally {
      t.child.kill('SIGTERM');
      await t.exited;
    }
  });
});
