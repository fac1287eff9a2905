import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Cli, deadPort, hasStack } from './helpers.js';

/**
 * The headless commands without `--profile`: the only profile, else `defaultProfile`
 * (`chat-tui profile default NAME`), else one usage line naming the profiles (exit 2).
 */
describe('headless commands pick the profile when none is named', () => {
  const cli = new Cli();
  after(() => cli.dispose());
  const room = '550e8400-e29b-41d4-a716-446655440001';
  const add = async (name: string, port: number): Promise<void> => {
    const r = await cli.run(['profile', 'add', name, '--service', 'chatapi', '--url', `http://127.0.0.1:${port}`, '--token', 'tok-1', '--room', room, '--user-id', 'u1', '--user-name', 'U']);
    assert.equal(r.code, 0, r.stderr);
  };

  it('no profiles: one line saying how to add one, exit 2', async () => {
    const r = await cli.run(['rooms']);
    assert.equal(r.code, 2);
    assert.match(r.stderr.trim(), /^error: no profiles yet; add one with: chat-tui profile add/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('one profile: used by rooms, history and send (they reach its server, at its port)', async () => {
    const a = await deadPort();
    await add('alpha', a);
    for (const args of [['rooms'], ['history'], ['send', 'hi']]) {
      const r = await cli.run(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${a}`), args.join(' '));
      assert.ok(!hasStack(r.stderr));
    }
  });

  it('several profiles: exit 2 naming them; `profile default` picks one; removing it forgets it', async () => {
    const b = await deadPort();
    await add('beta', b);
    const several = await cli.run(['rooms']);
    assert.equal(several.code, 2);
    assert.match(several.stderr, /several profiles \(alpha, beta\).*--profile NAME.*profile default NAME/);

    assert.equal((await cli.run(['profile', 'default', 'ghost'])).code, 2);
    const set = await cli.run(['profile', 'default', 'beta']);
    assert.equal(set.code, 0, set.stderr);
    assert.match((await cli.run(['profile', 'default'])).stdout, /default profile: beta/);
    const r = await cli.run(['rooms']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${b}`));
    // --profile still wins over the default
    assert.doesNotMatch((await cli.run(['rooms', '--profile', 'alpha'])).stderr, new RegExp(`:${b}\\b`));

    assert.equal((await cli.run(['profile', 'remove', 'beta'])).code, 0);
    assert.equal(cli.readConfig() && (cli.readConfig() as { defaultProfile?: string }).defaultProfile, undefined);
    const back = await cli.run(['rooms']);
    assert.equal(back.code, 1, 'the only profile left is used again');
  });
});
