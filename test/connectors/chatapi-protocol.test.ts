/**
 * Choosing the chatapi protocol (protocol.ts): `profile add --protocol`, the probe of `auto` (at add,
 * and at the next connect when the server could not be reached), and doctor's protocol line — the
 * CLI as a black box against the test servers.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Cli, deadPort } from '../cli/helpers.js';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { startV2Server } from '../servers/chatapi-v2/server.js';
import { startSocketIoServer } from '../servers/chatapi-socketio/server.js';

const ROOM = '7d1f8a2e-0c55-4b7a-9a31-5f0e2c9b1a01';

describe('chatapi --protocol', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  it('auto probes at profile add: the Go server is v2, a Doc B server is docs, the Python server socketio, none reachable is probed later', async () => {
    const v2 = await startV2Server({ rooms: [{ room_id: ROOM, type: 'group', name: 'general', members: ['alice'] }] });
    const docs = await startChatApiServer({ rooms: [] });
    const py = await startSocketIoServer({ rooms: [] });
    const dead = await deadPort();
    try {
      for (const [name, url] of [['go', v2.url], ['doc', docs.url], ['py', py.url], ['down', `http://127.0.0.1:${dead}`]] as const) {
        const r = await cli.run(['profile', 'add', name, '--service', 'chatapi', '--url', url, '--token', 'k']);
        assert.equal(r.code, 0, r.stderr);
      }
      const p = cli.readConfig().profiles;
      assert.deepEqual([p.go?.protocol, p.doc?.protocol, p.py?.protocol, p.down?.protocol], ['v2', 'docs', 'socketio', undefined], 'nothing stored for a server not reached: probed at the next connect');
      assert.ok(v2.requests.some((r) => r.path === '/health'));
      const show = await cli.run(['profile', 'show', 'go']);
      assert.match(show.stdout, /^protocol: v2$/m);
    } finally {
      await v2.close();
      await docs.close();
      await py.close();
    }
  });

  it('an explicit protocol is stored without a probe; an unknown one is a usage error', async () => {
    const docs = await startChatApiServer({ rooms: [] });
    try {
      const r = await cli.run(['profile', 'add', 'py2', '--service', 'chatapi', '--url', docs.url, '--token', 'k', '--protocol', 'socketio']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(cli.readConfig().profiles.py2?.protocol, 'socketio');
      assert.equal(docs.requests.length, 0, 'no probe');
      const bad = await cli.run(['profile', 'add', 'x', '--service', 'chatapi', '--url', docs.url, '--token', 'k', '--protocol', 'grpc']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--protocol: "grpc" is none of auto, docs, socketio, v2/);
    } finally {
      await docs.close();
    }
  });

  it('a profile left at auto is probed at connect, stored, and doctor says the protocol', async () => {
    const v2 = await startV2Server({ rooms: [{ room_id: ROOM, type: 'group', name: 'general', members: ['alice'] }] });
    try {
      v2.post(ROOM, 'bob', 'hello from go');
      cli.writeConfig({ profiles: { later: { service: 'chatapi', url: v2.url, token: v2.token('alice'), rooms: [ROOM], protocol: 'auto' } } });
      const doc0 = await cli.run(['doctor', '--offline', '--profile', 'later']);
      assert.match(doc0.stdout, /protocol: auto \(probed at the next connect\)/);
      const h = await cli.run(['history', '--profile', 'later', '--room', ROOM, '--json']);
      assert.equal(h.code, 0, h.stderr);
      assert.equal((JSON.parse(h.stdout.trim().split('\n')[0]!) as { text: string }).text, 'hello from go');
      assert.equal(cli.readConfig().profiles.later?.protocol, 'v2');
      const doc = await cli.run(['doctor', '--profile', 'later']);
      assert.match(doc.stdout, /settings valid; protocol: v2/);
      assert.match(doc.stdout, /reachable, connected/);
    } finally {
      await v2.close();
    }
  });
});
