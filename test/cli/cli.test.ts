import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cli, deadPort, hasStack, lines, root } from './helpers.js';

const TOKEN = 'sk_RECOGNISABLE_7f3a9c1e';
const ROOM = '550e8400-e29b-41d4-a716-446655440001';
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

const chatapiArgs = (url: string, extra: string[] = []): string[] => [
  '--service', 'chatapi', '--url', url, '--room', ROOM, '--user-id', 'user_123', '--user-name', 'John Doe', ...extra,
];

describe('chat-tui basics', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  it('--help and every subcommand help exit 0', async () => {
    const r = await cli.run(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['profile', 'rooms', 'history', 'send', 'tail', 'login', 'dm', 'doctor', 'demo']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
    assert.match(r.stdout, /Exit codes/);
    for (const sub of [['profile', 'add'], ['tail'], ['send'], ['history'], ['rooms'], ['doctor'], ['demo']]) {
      const s = await cli.run([...sub, '--help']);
      assert.equal(s.code, 0, sub.join(' '));
      assert.match(s.stdout, /^Usage: chat-tui /m);
    }
    const h = await cli.run(['help', 'tail']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: chat-tui tail /m);
  });

  it('--version prints the package version and exits 0', async () => {
    const r = await cli.run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('an unknown command exits 2 with one line and a suggestion', async () => {
    const r = await cli.run(['tial', '--profile', 'x']);
    assert.equal(r.code, 2);
    assert.equal(lines(r.stderr).length, 1);
    assert.match(r.stderr, /unknown command 'tial'.*Did you mean tail\?/);
    assert.equal(r.stdout, '');
  });

  it('an unknown option or a bad value in a subcommand exits 2 with one line', async () => {
    const a = await cli.run(['tail', '--profile', 'x', '--bogus']);
    assert.equal(a.code, 2);
    assert.equal(lines(a.stderr).length, 1);
    assert.match(a.stderr, /unknown option '--bogus'/);
    const b = await cli.run(['history', '--profile', 'x', '--limit', 'lots']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /not a whole number/);
    const c = await cli.run(['send']);
    assert.equal(c.code, 2);
  });

  it('with no profiles the bare command welcomes, offers the demo and one profile add line per service', async () => {
    const r = await cli.run([]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /chat-tui demo/);
    for (const svc of ['chatapi', 'glimesh', 'talkee', 'rooms']) {
      assert.equal(lines(r.stdout).filter((l) => l.includes(`profile add`) && l.includes(`--service ${svc}`)).length, 1, svc);
    }
  });

  it('a headless command with an unknown profile exits 2 naming it', async () => {
    const r = await cli.run(['history', '--profile', 'ghost', '--room', 'r']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no profile named "ghost"/);
    assert.equal(lines(r.stderr).length, 1);
  });
});

describe('profiles', () => {
  const cli = new Cli();
  let url = '';
  before(async () => {
    url = `http://127.0.0.1:${await deadPort()}`;
  });
  after(() => cli.dispose());

  it('validation errors are one line with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['profile', 'add', 'x', '--service', 'nope', '--token', TOKEN], /service/],
      [['profile', 'add', 'x', '--service', 'chatapi', '--url', 'not a url', '--token', TOKEN], /not a valid URL/],
      [['profile', 'add', 'x', ...chatapiArgs('http://chat.example.com'), '--token', TOKEN], /--insecure/],
      [['profile', 'add', 'x', ...chatapiArgs('ws://10.0.0.7:8000'), '--token', TOKEN], /--insecure/],
      [['profile', 'add', 'x', ...chatapiArgs('http://127.0.0.1:1')], /credential/],
      [['profile', 'add', 'x', ...chatapiArgs('http://127.0.0.1:1'), '--token', TOKEN, '--token-env', 'X'], /only one/],
      [['profile', 'add', '../x', ...chatapiArgs('http://127.0.0.1:1'), '--token', TOKEN], /invalid profile name/],
      [['profile', 'add', 'x', '--service', 'talkee', '--site-id', 'abc', '--token', TOKEN], /site-id/],
    ];
    for (const [args, re] of cases) {
      const r = await cli.run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.ok(!hasStack(r.stderr));
    }
    assert.ok(!fs.existsSync(path.join(cli.dir, 'config.json')) || Object.keys(cli.readConfig().profiles ?? {}).length === 0);
  });

  it('add, list, show, remove; file 0600 in a 0700 directory; show hides the secret', async () => {
    const add = await cli.run(['profile', 'add', 'work', ...chatapiArgs(url), '--token', TOKEN]);
    assert.equal(add.code, 0, add.stderr);
    assert.equal(fs.statSync(cli.dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(cli.dir, 'config.json')).mode & 0o777, 0o600);
    assert.deepEqual(cli.readConfig().profiles.work, { service: 'chatapi', url, token: TOKEN, rooms: [ROOM], userId: 'user_123', userName: 'John Doe' });

    const again = await cli.run(['profile', 'add', 'work', ...chatapiArgs(url), '--token', TOKEN]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--force/);

    const env = await cli.run(['profile', 'add', 'viaenv', ...chatapiArgs(url), '--token-env', 'WORK_TOKEN', '--no-typing']);
    assert.equal(env.code, 0, env.stderr);
    const cmd = await cli.run(['profile', 'add', 'viacmd', ...chatapiArgs(url), '--token-cmd', `echo ${TOKEN}`]);
    assert.equal(cmd.code, 0, cmd.stderr);
    assert.equal(cli.readConfig().profiles.viaenv?.sendTyping, false);

    const list = await cli.run(['profile', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(lines(list.stdout).map((l) => l.split(/\s+/)[0]), ['viacmd', 'viaenv', 'work']);
    const json = await cli.run(['profile', 'list', '--json']);
    const objs = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(objs.map((o) => [o.name, o.credential]), [['viacmd', 'cmd'], ['viaenv', 'env'], ['work', 'token']]);

    const show = await cli.run(['profile', 'show', 'work']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /token: \(set\)/);
    assert.match(show.stdout, new RegExp(ROOM));
    assert.match((await cli.run(['profile', 'show', 'viaenv'])).stdout, /token: env WORK_TOKEN/);
    const showCmd = await cli.run(['profile', 'show', 'viacmd']);
    assert.match(showCmd.stdout, /token: cmd/);

    const rm = await cli.run(['profile', 'remove', 'viacmd']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(cli.readConfig().profiles.viacmd, undefined);
    const rm2 = await cli.run(['profile', 'remove', 'viacmd']);
    assert.equal(rm2.code, 2);
    assert.match(rm2.stderr, /no profile named "viacmd"/);
  });

  it('an unset --token-env is a usage error at use; a failing --token-cmd exits 1 without its output', async () => {
    const a = await cli.run(['history', '--profile', 'viaenv', '--room', ROOM], { env: { WORK_TOKEN: '' } });
    assert.equal(a.code, 2);
    assert.match(a.stderr, /WORK_TOKEN/);
    const add = await cli.run(['profile', 'add', 'badcmd', ...chatapiArgs(url), '--token-cmd', 'echo NOT_FOR_EYES_42; exit 4']);
    assert.equal(add.code, 0, add.stderr);
    const b = await cli.run(['history', '--profile', 'badcmd', '--room', ROOM]);
    assert.equal(b.code, 1);
    assert.equal(lines(b.stderr).length, 1);
    assert.match(b.stderr, /token command failed \(exit 4\)/);
    assert.ok(!(b.stdout + b.stderr).includes('NOT_FOR_EYES_42'));
  });

  it('--token - reads the token from stdin; a root --profile reaches the subcommand', async () => {
    const add = await cli.run(['profile', 'add', 'stdin', ...chatapiArgs(url), '--token', '-'], { input: `${TOKEN}\n` });
    assert.equal(add.code, 0, add.stderr);
    assert.equal(cli.readConfig().profiles.stdin?.token, TOKEN);
    const empty = await cli.run(['profile', 'add', 'stdin2', ...chatapiArgs(url), '--token', '-'], { input: '' });
    assert.equal(empty.code, 2);
    const r = await cli.run(['--profile', 'ghost2', 'history', '--room', ROOM]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no profile named "ghost2"/);
    assert.equal((await cli.run(['profile', 'remove', 'stdin'])).code, 0);
  });

  it('a looser directory or file is reported and fixed at start', async () => {
    fs.chmodSync(cli.dir, 0o755);
    fs.chmodSync(path.join(cli.dir, 'config.json'), 0o644);
    const r = await cli.run(['profile', 'list']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /0755.*fixed to 0700/);
    assert.match(r.stderr, /0644.*fixed to 0600/);
    assert.equal(fs.statSync(cli.dir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(cli.dir, 'config.json')).mode & 0o777, 0o600);
  });

  it('an unreachable server is exit 1 with one line and no stack', async () => {
    for (const args of [['rooms', '--profile', 'work'], ['history', '--profile', 'work', '--room', ROOM], ['send', '--profile', 'work', '--room', ROOM, 'hi']]) {
      const r = await cli.run(args, { timeoutMs: 30_000 });
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^error/);
      assert.ok(!hasStack(r.stderr));
    }
  });

  it('doctor reports each profile without secrets and says what to fix', async () => {
    const r = await cli.run(['doctor'], { env: { WORK_TOKEN: TOKEN }, timeoutMs: 40_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /node \d+/);
    assert.match(r.stdout, /profile work \(chatapi\): settings valid/);
    assert.match(r.stdout, /FAIL\s+profile work \(chatapi\): not reachable/);
    assert.match(r.stdout, /fix: /);
    assert.match(r.stdout, /FAIL\s+profile badcmd .*token command failed/);
  });

  it('the token never appears in any output of any command', async () => {
    await cli.run(['profile', 'show', 'work', '--json']);
    await cli.run(['send', '--profile', 'work', '--room', ROOM, '--json', TOKEN]);
    await cli.run(['tail', '--profile', 'nope']);
    for (const o of cli.outputs) assert.ok(!o.includes(TOKEN), `token leaked in: ${o.slice(0, 300)}`);
    assert.ok(cli.outputs.length > 20);
  });
});
