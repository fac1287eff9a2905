import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { registerSecret } from '../../src/config/secrets.js';
import { errLine, sink } from '../../src/cli/io.js';
import { Cli, hasStack, lines } from './helpers.js';

// What the command line echoes back is bounded: a word it quotes in an error, a stored value it shows.

const HUGE = 'x'.repeat(21_000);

describe('CLI echoes are capped', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  it('an unknown command of 21 KB is echoed in one short line ending in …', async () => {
    const r = await cli.run([HUGE]);
    assert.equal(r.code, 2);
    assert.equal(lines(r.stderr).length, 1, r.stderr.slice(0, 300));
    assert.ok(r.stderr.length < 400, `stderr is ${r.stderr.length} bytes`);
    assert.match(r.stderr, /unknown command 'x+…$/m);
    assert.ok(!hasStack(r.stderr));
  });

  it('a 21 KB option value and a 21 KB profile name are echoed cut', async () => {
    for (const args of [['profile', 'add', 'a', '--service', HUGE], ['history', '--profile', 'a', '--limit', HUGE], ['tail', '--profile', HUGE]]) {
      const r = await cli.run(args);
      assert.equal(r.code, 2, args.join(' ').slice(0, 60));
      assert.equal(lines(r.stderr).length, 1);
      assert.ok(r.stderr.length < 400, `${args[0]} ${args[1]}: stderr is ${r.stderr.length} bytes`);
      assert.match(r.stderr, /x…/);
    }
  });

  it('--room r1 --room r1 is stored once', async () => {
    const r = await cli.run(['profile', 'add', 'dup', '--service', 'chatapi', '--url', 'http://127.0.0.1:1', '--token', 'tok_abcdef', '--room', 'r1', '--room', 'r2', '--room', 'r1', '--user-id', 'u', '--user-name', 'U']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(cli.readConfig().profiles.dup?.rooms, ['r1', 'r2']);
  });

  it('profile add refuses a room id over 1024 characters in one short line', async () => {
    const r = await cli.run(['profile', 'add', 'big', '--service', 'chatapi', '--url', 'http://127.0.0.1:1', '--token', 'tok_abcdef', '--room', HUGE, '--user-id', 'u', '--user-name', 'U']);
    assert.equal(r.code, 2);
    assert.equal(lines(r.stderr).length, 1);
    assert.ok(r.stderr.length < 200, r.stderr.slice(0, 200));
    assert.match(r.stderr, /room id of 21000 characters/);
  });

  it('profile show and list cut a 10 MB room id from a hand-written config', async () => {
    const room = 'r'.repeat(10 * 1024 * 1024);
    cli.writeConfig({ profiles: { hand: { service: 'chatapi', url: 'http://127.0.0.1:1', token: 'tok_abcdef', rooms: [room, 'second'], userId: 'u', userName: 'U' } } });
    const show = await cli.run(['profile', 'show', 'hand']);
    assert.equal(show.code, 0, show.stderr.slice(0, 200));
    assert.ok(show.stdout.length < 1000, `show printed ${show.stdout.length} bytes`);
    assert.match(show.stdout, /^rooms: r+…, second$/m);
    const list = await cli.run(['profile', 'list']);
    assert.equal(list.code, 0);
    assert.ok(list.stdout.length < 1000, `list printed ${list.stdout.length} bytes`);
    assert.match(list.stdout, /rooms: r+…, second/);
  });
});

describe('an error line is redacted before it is cut', () => {
  it('a 300-character secret quoted in an error leaves none of itself behind', () => {
    const secret = `sk_${'s'.repeat(300)}`;
    registerSecret(secret);
    const written: string[] = [];
    const saved = sink.stderr;
    sink.stderr = (s) => void written.push(s);
    try {
      errLine(`error: unknown option '--${secret}' and Authorization: Bearer ${'b'.repeat(200)}9`);
    } finally {
      sink.stderr = saved;
    }
    assert.equal(written.length, 1);
    assert.ok(!written[0]!.includes('sss'), written[0]);
    assert.ok(!written[0]!.includes('bbb'), written[0]);
    assert.match(written[0]!, /'--\*\*\*'/);
  });
});
