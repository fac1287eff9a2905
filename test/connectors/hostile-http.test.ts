import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DocBTransport } from '../../src/connectors/chatapi/transport.js';
import { GraphHttp } from '../../src/connectors/glimesh/http.js';
import { clientCredentials } from '../../src/connectors/glimesh/login.js';
import { post } from '../../src/connectors/rooms/http.js';
import { ssoLogin } from '../../src/connectors/rooms/login.js';
import { request as talkeeRequest } from '../../src/connectors/talkee/http.js';
import { login as talkeeLogin } from '../../src/connectors/talkee/login.js';
import { ChatError } from '../../src/core/errors.js';
import { SAFETY_STOP_BYTES, startHostileServer, type HostileServer } from '../servers/hostile/server.js';

// Every connector's REST and login call against a server that redirects elsewhere or answers an
// endless body: one redirect rule and one capped reader (src/connectors/http.ts) for all of them.

const TOKEN = 'tok_HOSTILE_0b1c2d3e4f';
const MIXIN = 'mixin_SECRET_9a8b7c6d5e';
const SECRET = 'client_SECRET_5f6e7d8c';
const SECRETS = [TOKEN, MIXIN, SECRET];

/** One REST or login call of a connector against `base`. */
type Flow = readonly [name: string, call: (base: string) => Promise<unknown>];

const noSay = { say: () => {}, signal: new AbortController().signal };

const FLOWS: readonly Flow[] = [
  ['talkee login (POST /auth/login with the Mixin token)', (base) => talkeeLogin({ name: 't', service: 'talkee', siteId: 1, apiUrl: base }, { ...noSay, mixinToken: MIXIN })],
  ['talkee REST (GET /messages)', (base) => talkeeRequest(new URL(`${base}/messages`), { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` } }, 'history')],
  ['rooms REST (POST /chat/retrieve)', (base) => post(base, '/chat/retrieve', 'rooms (/chat/retrieve)', { token: TOKEN, body: { room_id: 'r' } })],
  ['rooms login (POST /auth/sso)', (base) => ssoLogin({ name: 'r', service: 'rooms', url: base }, noSay, { pollMs: 10 })],
  ['glimesh GraphQL (POST /api/graph)', (base) => new GraphHttp(base, { kind: 'token', token: TOKEN }).run('query { myself { id } }', {}, 'myself')],
  ['glimesh login (POST /api/oauth/token)', (base) => clientCredentials(base, 'cid', SECRET)],
  ['chatapi REST (GET /rooms/)', (base) => new DocBTransport({ baseUrl: base, token: TOKEN, user: { id: 'u', name: 'U' } }).listRooms()],
  ['chatapi REST (POST /rooms/{id}/messages/)', (base) => new DocBTransport({ baseUrl: base, token: TOKEN, user: { id: 'u', name: 'U' } }).postMessage('r1', 'hello')],
];

/** Asserts `err` is a one-line ChatError `code` matching `re` that names none of the secrets. */
function oneLine(err: unknown, code: string, re: RegExp): true {
  assert.ok(err instanceof ChatError, String(err));
  assert.equal(err.code, code, err.message);
  assert.match(err.message, re);
  assert.ok(!/[\r\n]/.test(err.message), `one line: ${JSON.stringify(err.message)}`);
  assert.ok(err.message.length < 300, err.message);
  for (const s of SECRETS) assert.ok(!err.message.includes(s), `no secret in ${err.message}`);
  return true;
}

const servers: HostileServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

describe('redirects: never to another origin, never to plain http off this machine', () => {
  let hostile: HostileServer;
  let other: HostileServer;
  before(async () => {
    hostile = await startHostileServer();
    other = await startHostileServer({ kind: 'json', status: 200, body: {} });
    servers.push(hostile, other);
  });

  for (const [name, call] of FLOWS) {
    for (const status of [301, 302, 307, 308]) {
      it(`${name}: ${status} to another origin and to plain http is refused, naming where`, async () => {
        const otherOrigin = `http://localhost:${other.port}`;
        for (const [location, where] of [
          [`${otherOrigin}/steal`, /redirected to another host \(http:\/\/localhost:\d+\); not followed/],
          ['http://chat.invalid/steal?x=1', /redirected to another host \(http:\/\/chat\.invalid, plain http\); not followed/],
        ] as const) {
          hostile.mode = { kind: 'redirect', status, location };
          await assert.rejects(call(hostile.url), (e: unknown) => oneLine(e, 'protocol', where));
        }
        assert.equal(other.requests.length, 0, 'nothing (no token, no body) reached the other origin');
      });
    }
  }

  it('a same-origin 307/308 re-sends a POST once with the same method and body', async () => {
    for (const status of [307, 308]) {
      hostile.requests.length = 0;
      hostile.mode = { kind: 'redirect', status, location: '/chat/retrieve2', onlyFirst: true };
      const answer = await post(hostile.url, '/chat/retrieve', 'retrieve', { token: TOKEN, body: { room_id: 'r' } });
      assert.deepEqual(answer.json, { followed: true, method: 'POST', body: '{"room_id":"r"}' });
      assert.deepEqual(hostile.requests.map((r) => [r.method, r.path]), [['POST', '/chat/retrieve'], ['POST', '/chat/retrieve2']]);
    }
  });

  it('a same-origin 301/302/303 of a POST is not followed (it would become a GET)', async () => {
    for (const status of [301, 302, 303]) {
      hostile.requests.length = 0;
      hostile.mode = { kind: 'redirect', status, location: '/elsewhere', onlyFirst: true };
      await assert.rejects(post(hostile.url, '/chat/retrieve', 'retrieve', { token: TOKEN }), (e: unknown) => oneLine(e, 'protocol', new RegExp(`retrieve: the server answered the POST with a redirect \\(HTTP ${status}\\) to /elsewhere; not followed`)));
      assert.equal(hostile.requests.length, 1);
    }
  });

  it('a same-origin redirect of a GET is followed once; a second one is refused', async () => {
    hostile.requests.length = 0;
    hostile.mode = { kind: 'redirect', status: 301, location: '/messages2', onlyFirst: true };
    const answer = await talkeeRequest(new URL(`${hostile.url}/messages`), { method: 'GET' }, 'history');
    assert.deepEqual(answer.json, { followed: true, method: 'GET', body: '' });
    hostile.requests.length = 0;
    hostile.mode = { kind: 'redirect', status: 302, location: '/again' };
    await assert.rejects(talkeeRequest(new URL(`${hostile.url}/messages`), { method: 'GET' }, 'history'), (e: unknown) => oneLine(e, 'protocol', /history: the server redirected more than once \(last to \/again\); not followed/));
    assert.equal(hostile.requests.length, 2);
  });
});

describe('bodies: every connector stops reading at its cap, however long the answer', () => {
  let hostile: HostileServer;
  before(async () => {
    hostile = await startHostileServer({ kind: 'endless' });
    servers.push(hostile);
  });

  for (const [name, call] of FLOWS) {
    it(`${name}: an endless body ends in one line, the client closes early, memory stays bounded`, async () => {
      hostile.mode = { kind: 'endless' };
      const rss0 = process.memoryUsage().rss;
      await assert.rejects(call(hostile.url), (e: unknown) => oneLine(e, 'protocol', /the server's answer is larger than (1|16) MiB/));
      const rss = process.memoryUsage().rss;
      const sent = await Promise.race([hostile.clientClosed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
      assert.ok(sent > 0, 'the client closed the connection before the body ended');
      // the cap (at most 16 MiB) plus what the sockets buffer on the way; the server would go on to 128 MiB
      assert.ok(sent < 48 * 1024 * 1024 && sent < SAFETY_STOP_BYTES, `the server wrote ${(sent / 1048576).toFixed(1)} MiB`);
      assert.ok(rss - rss0 < 160 * 1024 * 1024, `RSS grew ${((rss - rss0) / 1048576).toFixed(0)} MiB`);
    });
  }
});
