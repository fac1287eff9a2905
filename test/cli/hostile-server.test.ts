import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startHostileServer, type HostileServer } from '../servers/hostile/server.js';
import { Cli, hasStack, lines } from './helpers.js';

// The two reported cases through the built CLI: `chat-tui login` for talkee against a server that
// answers 307 to another origin (fetch would re-post the Mixin token there), and `chat-tui rooms` for
// chatapi against a server whose room list never ends (it was read whole: 1.3 GB for a 400 MB answer).

const MIXIN = 'mixin_SECRET_7e6d5c4b3a';

describe('hostile servers through the CLI', () => {
  const cli = new Cli();
  const servers: HostileServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
    cli.dispose();
  });

  it('talkee login: a 307 to another origin is refused in one line; the Mixin token goes nowhere else', async () => {
    const other = await startHostileServer({ kind: 'json', status: 200, body: { data: { access_token: 'stolen' } } });
    const hostile = await startHostileServer({ kind: 'redirect', status: 307, location: `http://localhost:${other.port}/auth/login` });
    servers.push(other, hostile);
    const add = await cli.run(['profile', 'add', 't', '--service', 'talkee', '--site-id', '1', '--room', 'page', '--api-url', hostile.url]);
    assert.equal(add.code, 0, add.stderr);
    const r = await cli.run(['login', '--profile', 't', '--mixin-token', MIXIN]);
    assert.equal(r.code, 1, r.stderr);
    const errs = lines(r.stderr).filter((l) => l.startsWith('error'));
    assert.equal(errs.length, 1, r.stderr);
    assert.match(errs[0]!, /^error \(protocol\): login: the server redirected to another host \(http:\/\/localhost:\d+\); not followed$/);
    assert.ok(!(r.stdout + r.stderr).includes(MIXIN));
    assert.ok(!hasStack(r.stderr));
    assert.equal(hostile.requests.length, 1);
    assert.equal(other.requests.length, 0, 'the other origin never saw the token');
    assert.equal(cli.readConfig().profiles.t?.token, undefined, 'no token stored');
  });

  it('chatapi rooms: an endless room list ends in one line at the cap; the client hangs up early', async () => {
    const hostile = await startHostileServer({ kind: 'endless' });
    servers.push(hostile);
    // no rooms: `rooms` then opens no socket and only lists (GET /api/v1/rooms/)
    const add = await cli.run(['profile', 'add', 'c', '--service', 'chatapi', '--url', hostile.url, '--token', 'tok_abcdef12', '--user-id', 'u', '--user-name', 'U']);
    assert.equal(add.code, 0, add.stderr);
    const t0 = Date.now();
    const r = await cli.run(['rooms', '--profile', 'c'], { timeoutMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /larger than 16 MiB/);
    const sent = await Promise.race([hostile.clientClosed, new Promise<number>((res) => setTimeout(() => res(-1), 5000))]);
    assert.ok(sent > 0 && sent < 48 * 1024 * 1024, `the server wrote ${(sent / 1048576).toFixed(1)} MiB before the client closed`);
    assert.ok(Date.now() - t0 < 15_000, `${Date.now() - t0} ms`);
  });
});
