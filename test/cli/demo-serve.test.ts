import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Cli, lines, waitFor, type Running } from './helpers.js';

/** Splits a printed shell line (words, single-quoted words) back into arguments. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'((?:[^']|'\\'')*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] ?? ''));
  return words;
}

/**
 * `chat-tui demo --serve` prints a `profile add` line that works as printed: the profile it makes reads
 * live demo chat with `tail --json` and can `send`; the server stops on SIGINT with exit 0.
 * The demo itself writes no config.
 */
describe('chat-tui demo --serve', () => {
  const cli = new Cli();
  let serve: Running | undefined;
  after(async () => {
    serve?.child.kill('SIGKILL');
    cli.dispose();
  });

  it('prints a working profile add line, then stops on SIGINT', async () => {
    serve = cli.start(['demo', '--serve']);
    const line = await waitFor(() => lines(serve!.stdout).find((l) => l.includes('profile add')), 15_000, 'the profile add line');
    assert.ok(!fs.existsSync(path.join(cli.dir, 'config.json')), 'demo --serve writes no config');
    assert.equal(fs.statSync(path.join(cli.dir, 'demo.json')).mode & 0o777, 0o600, 'its key is kept 0600');
    const words = shellWords(line.trim());
    assert.deepEqual(words.slice(0, 6), ['chat-tui', 'profile', 'add', 'demo', '--service', 'chatapi']);
    const add = await cli.run(words.slice(1));
    assert.equal(add.code, 0, add.stderr);
    const profile = cli.readConfig().profiles.demo;
    assert.match(String(profile?.url), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(Array.isArray(profile?.rooms) && (profile?.rooms as unknown[]).length >= 3);

    const rooms = await cli.run(['rooms', '--profile', 'demo', '--json']);
    assert.equal(rooms.code, 0, rooms.stderr);
    assert.ok(lines(rooms.stdout).length >= 3);

    const tail = cli.start(['tail', '--profile', 'demo', '--json']);
    await waitFor(() => tail.stdout.includes('"connected"'), 15_000, 'tail to connect');
    const room = (profile?.rooms as string[])[0] ?? '';
    const sent = await cli.run(['send', '--profile', 'demo', '--room', room, '--json', 'hello demo from the test']);
    assert.equal(sent.code, 0, sent.stderr);
    const msg = JSON.parse(lines(sent.stdout)[0] ?? '{}') as Record<string, unknown>;
    assert.equal(msg.text, 'hello demo from the test');
    await waitFor(() => tail.stdout.includes('hello demo from the test'), 15_000, 'tail to show the sent message');
    tail.child.kill('SIGTERM');
    assert.equal((await tail.exited).code, 0, tail.stderr);
    const copies = lines(tail.stdout).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.type === 'message' && e.id === msg.id);
    assert.equal(copies.length, 1, 'the sent message shows once in tail');

    serve.child.kill('SIGINT');
    assert.equal((await serve.exited).code, 0, serve.stderr);
  });

  it('a restart prints the same line (same key, same port): yesterday\'s profile still works', async () => {
    const first = cli.start(['demo', '--serve']);
    const a = await waitFor(() => lines(first.stdout).find((l) => l.includes('profile add')), 15_000, 'the first line');
    first.child.kill('SIGINT');
    assert.equal((await first.exited).code, 0);
    const second = cli.start(['demo', '--serve']);
    const b = await waitFor(() => lines(second.stdout).find((l) => l.includes('profile add')), 15_000, 'the second line');
    assert.equal(b, a);
    // the profile saved from the first run's line reaches the second server
    const rooms = await cli.run(['rooms', '--profile', 'demo', '--json']);
    assert.equal(rooms.code, 0, rooms.stderr);
    second.child.kill('SIGINT');
    assert.equal((await second.exited).code, 0);
  });

  it('--port on a busy port is one line naming it, exit 1', async () => {
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const { port } = busy.address() as net.AddressInfo;
    try {
      const r = await cli.run(['demo', '--serve', '--port', String(port)]);
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stderr), [`error (network): port ${port} is in use; try --port 0`]);
    } finally {
      busy.close();
    }
  });

  it('the full-screen demo refuses to run without a terminal (exit 2, one line)', async () => {
    const r = await cli.run(['demo']);
    assert.equal(r.code, 2);
    assert.equal(lines(r.stderr).length, 1);
    assert.match(r.stderr, /terminal/);
  });
});
