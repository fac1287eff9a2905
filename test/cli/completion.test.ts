import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bin, Cli } from './helpers.js';

/**
 * `chat-tui completion bash|zsh|fish`: the bash script is loaded into a real bash and asked to complete
 * (COMP_WORDS/COMP_CWORD as bash's completion sets them); profile names come from the config live.
 */
describe('chat-tui completion', () => {
  const cli = new Cli();
  let script = '';
  before(async () => {
    for (const name of ['work', 'home']) {
      const r = await cli.run(['profile', 'add', name, '--service', 'rooms', '--url', 'http://127.0.0.1:9', '--token', 't']);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await cli.run(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    script = path.join(cli.home, 'c.bash');
    fs.writeFileSync(script, r.stdout);
  });
  after(() => cli.dispose());

  /** What bash completes for the words (the last one is the word being completed). */
  const complete = (...words: string[]): string[] => {
    const arr = ['chat-tui', ...words].map((w) => `'${w}'`).join(' ');
    const program = `chat-tui() { ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"; }
source ${JSON.stringify(script)}
COMP_WORDS=(${arr}); COMP_CWORD=${words.length}; _chat_tui; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return execFileSync('bash', ['-c', program], { env: cli.env(), encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  };

  it('completes subcommands, nested subcommands and flags', () => {
    assert.deepEqual(complete('t'), ['tail']);
    assert.ok(complete('').includes('completion') && complete('').includes('history'));
    assert.deepEqual(complete('profile', 'd'), ['default']);
    assert.deepEqual(complete('tail', '--j'), ['--json']);
    assert.deepEqual(complete('history', '--li'), ['--limit']);
  });

  it('completes the choices of --service and profile names after --profile and profile show', () => {
    assert.deepEqual(complete('profile', 'add', 'x', '--service', ''), ['chatapi', 'glimesh', 'rooms', 'talkee']);
    assert.deepEqual(complete('tail', '--profile', ''), ['home', 'work']);
    assert.deepEqual(complete('send', '-p', 'w'), ['work']);
    assert.deepEqual(complete('profile', 'show', ''), ['home', 'work']);
    // a value of a flag is not taken for a subcommand: after `--room profile`, still tail's flags
    assert.deepEqual(complete('tail', '--room', 'profile', '--js'), ['--json']);
  });

  it('zsh loads the same function through bashcompinit; fish gets complete lines; other shells exit 2', async () => {
    const zsh = await cli.run(['completion', 'zsh']);
    assert.equal(zsh.code, 0);
    assert.match(zsh.stdout, /bashcompinit/);
    assert.match(zsh.stdout, /complete -F _chat_tui chat-tui/);
    const fish = await cli.run(['completion', 'fish']);
    assert.equal(fish.code, 0);
    assert.match(fish.stdout, /^complete -c chat-tui -n '__fish_use_subcommand' -a 'tail' /m);
    assert.match(fish.stdout, /^complete -c chat-tui -n '__fish_seen_subcommand_from add' -l service -xa 'chatapi glimesh talkee rooms'/m);
    assert.match(fish.stdout, /-l profile -s p -xa '\(chat-tui profile list --json/);
    const bad = await cli.run(['completion', 'powershell']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});
