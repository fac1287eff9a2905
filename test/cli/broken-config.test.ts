import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Cli, hasStack, lines } from './helpers.js';

/**
 * A config file that is broken (not JSON) or valid JSON but not an object is an error that names the file
 * and the fix, never "no profiles" (which the next save would overwrite); `doctor` prints it as a FAIL
 * line with the fix. An unwritable config directory is a FAIL in doctor.
 */
describe('a broken config file', () => {
  const cli = new Cli();
  after(() => cli.dispose());
  const file = (): string => path.join(cli.dir, 'config.json');
  const write = (text: string): void => {
    fs.mkdirSync(cli.dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file(), text, { mode: 0o600 });
  };

  for (const [text, words] of [['[1, 2]', 'an array'], ['"profiles"', 'a string'], ['null', 'null'], ['{"profiles": ', 'not valid JSON']] as const) {
    it(`${text}: list and add refuse it (exit 2, one line, the mv fix) and leave it as it was; doctor FAILs`, async () => {
      write(text);
      for (const args of [['profile', 'list'], ['profile', 'add', 'x', '--service', 'rooms', '--url', 'http://127.0.0.1:9', '--token', 't']]) {
        const r = await cli.run(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.equal(lines(r.stderr).length, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`${words}.*move it aside: mv '${file().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'`));
        assert.ok(!hasStack(r.stderr));
      }
      assert.equal(fs.readFileSync(file(), 'utf8'), text, 'the file is untouched');
      const d = await cli.run(['doctor', '--offline']);
      assert.equal(d.code, 1);
      const out = lines(d.stdout);
      const fail = out.findIndex((l) => l.startsWith('FAIL  config file'));
      assert.ok(fail >= 0, d.stdout);
      assert.match(out[fail + 1] ?? '', /^ {6}fix: .*mv '/);
    });
  }

  it('doctor: a read-only config directory is a FAIL (a read-only tmpfs; skipped where mounting is not allowed)', async (t) => {
    const ro = path.join(cli.home, 'ro');
    fs.mkdirSync(ro, { mode: 0o700 });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m,mode=0700', 'tmpfs', ro], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here');
      return;
    }
    try {
      const d = await cli.run(['doctor', '--offline'], { env: { CHAT_TUI_CONFIG_DIR: ro } });
      assert.equal(d.code, 1, d.stdout + d.stderr);
      assert.match(d.stdout, /^FAIL  config directory .* is not writable: read-only file system$/m);
      assert.match(d.stdout, /^ {6}fix: make it writable/m);
    } finally {
      execFileSync('umount', [ro], { stdio: 'ignore' });
    }
  });
});
