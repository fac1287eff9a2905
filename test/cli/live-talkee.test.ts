import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTalkeeServer, type TalkeeTestServer } from '../servers/talkee/server.js';
import { Cli, hasStack, lines, waitFor } from './helpers.js';

/**
 * The built binary against our talkee test server (a service with a login): `login` stores the token,
 * `send --json`, `tail --json` until SIGTERM (exit 0), plain tail, `doctor` reachability — and the
 * tokens (access and Mixin) never appear in any output.
 */
describe('CLI against the talkee test server', () => {
  const cli = new Cli();
  let s: TalkeeTestServer;
  const SLUG = 'cli-test';

  before(async () => {
    s = await startTalkeeServer();
  });
  after(async () => {
    await s.close();
    cli.dispose();
    for (const o of cli.outputs) {
      assert.ok(!o.includes(s.token), `access token printed: ${o.slice(0, 200)}`);
      assert.ok(!o.includes(s.mixinToken), `mixin token printed: ${o.slice(0, 200)}`);
    }
  });

  it('profile add without a token, then login stores it (never printed)', async () => {
    const add = await cli.run(['profile', 'add', 't', '--service', 'talkee', '--url', s.url, '--api-url', s.apiUrl, '--site-id', '2', '--room', SLUG]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /chat-tui login --profile t/);
    const login = await cli.run(['login', '--profile', 't', '--mixin-token', s.mixinToken]);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /logged in/);
    const stored = cli.readConfig().profiles.t;
    assert.equal(typeof stored?.token, 'string');
    assert.ok(String(stored?.token).length > 10);
    const show = await cli.run(['profile', 'show', 't']);
    assert.match(show.stdout, /token: \(set\)/);
    assert.ok(!show.stdout.includes(String(stored?.token)));
  });

  it('send --json prints the server copy once', async () => {
    const r = await cli.run(['send', '--profile', 't', '--json', 'hello "cli" ✓']);
    assert.equal(r.code, 0, r.stderr);
    const evs = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(evs.length, 1);
    assert.equal(evs[0]?.type, 'message');
    assert.equal(evs[0]?.text, 'hello "cli" ✓');
    assert.equal(evs[0]?.room, SLUG);
    assert.equal(evs[0]?.profile, 't');
    assert.ok(!('txnId' in (evs[0] ?? {})));
  });

  it('tail --json prints live messages and exits 0 on SIGTERM', async () => {
    const tail = cli.start(['tail', '--profile', 't', '--json']);
    await waitFor(() => tail.stdout.includes('"connected"'), 10_000, 'connected');
    s.post(2, SLUG, { text: 'live one' });
    s.post(2, SLUG, { text: 'live\ntwo' });
    await waitFor(() => tail.stdout.includes('live\\ntwo'), 10_000, 'two messages');
    tail.child.kill('SIGTERM');
    const { code } = await tail.exited;
    assert.equal(code, 0, tail.stderr);
    const msgs = lines(tail.stdout).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.type === 'message');
    assert.deepEqual(msgs.map((m) => m.text), ['live one', 'live\ntwo']);
  });

  it('plain tail shows one line a message and exits 0 on SIGINT', async () => {
    const tail = cli.start(['tail', '--profile', 't']);
    await waitFor(() => tail.stderr.includes('connected'), 10_000, 'connected');
    s.post(2, SLUG, { text: 'multi\nline \u001b[2Jtext' });
    await waitFor(() => tail.stdout.includes('text'), 10_000, 'the message');
    tail.child.kill('SIGINT');
    assert.equal((await tail.exited).code, 0);
    assert.match(tail.stdout, /\[cli-test\] Jane Smith: multi ↵ line text\n$/);
  });

  it('doctor says all good with a reachable profile', async () => {
    const r = await cli.run(['doctor']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok\s+profile t \(talkee\): reachable/);
    assert.match(r.stdout, /all good/);
  });

  it('a refused token is exit 1, one line, no stack', async () => {
    const bad = `${s.token.slice(0, -6)}AAAAAA`;
    const add = await cli.run(['profile', 'add', 'bad', '--service', 'talkee', '--url', s.url, '--api-url', s.apiUrl, '--site-id', '2', '--room', SLUG, '--token', bad]);
    assert.equal(add.code, 0, add.stderr);
    const r = await cli.run(['send', '--profile', 'bad', 'hi']);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.ok(!hasStack(r.stderr));
    for (const o of cli.outputs) assert.ok(!o.includes(bad));
  });
});
