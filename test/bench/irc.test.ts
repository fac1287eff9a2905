import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ircNick, startIrcServer } from '../../bench/lib/irc.js';
import { stripAnsi } from '../../bench/lib/proc.js';

/** A raw IRC client: lines in, lines out (what WeeChat does on the wire, RFC 2812 §3.1 registration). */
function client(port: number): Promise<{ socket: Socket; lines: string[]; send(l: string): void; waitFor(re: RegExp): Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines: string[] = [];
    const waiters: Array<{ re: RegExp; r: (l: string) => void }> = [];
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        lines.push(line);
        for (const w of waiters.filter((x) => x.re.test(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.r(line);
        }
      }
    });
    socket.on('error', reject);
    socket.on('connect', () =>
      resolve({
        socket,
        lines,
        send: (l) => void socket.write(`${l}\r\n`),
        waitFor: (re) => {
          const seen = lines.find((l) => re.test(l));
          return seen !== undefined ? Promise.resolve(seen) : new Promise((r) => waiters.push({ re, r }));
        },
      }),
    );
  });
}

describe('bench IRC server', () => {
  it('registers a client, joins it, floods a channel in order and answers its own PING sync', async () => {
    const irc = await startIrcServer();
    const c = await client(irc.port);
    try {
      c.send('CAP LS 302');
      assert.match(await c.waitFor(/ CAP \* LS /), /CAP \* LS :$/);
      c.send('NICK bencher');
      c.send('USER bencher 0 * :bench');
      await c.waitFor(/ 001 bencher /);
      await c.waitFor(/ 005 bencher /);
      c.send('PING :abc');
      assert.match(await c.waitFor(/ PONG /), /:abc$/);
      c.send('JOIN #room-0');
      await c.waitFor(/ 366 bencher #room-0 /);
      await irc.waitForJoins(1, '#room-0');
      const flood = irc.prepare('#room-0', 500, (i) => ({ content: `msg#${i}: hello`, senderName: `User ${i % 20}` }));
      const r = await irc.stream(flood);
      assert.equal(r.sent, 500);
      // The server pings after the flood; a client answering it has read every line before.
      const synced = irc.sync(5000);
      const ping = await c.waitFor(/^PING :sync-/);
      c.send(`PONG ${ping.slice(5)}`);
      assert.equal(await synced, true);
      const got = c.lines.filter((l) => l.includes(' PRIVMSG #room-0 :'));
      assert.equal(got.length, 500);
      assert.equal(got[0], ':User_0!User_0@bench PRIVMSG #room-0 :msg#0: hello');
      assert.equal(got[499], ':User_19!User_19@bench PRIVMSG #room-0 :msg#499: hello');
    } finally {
      c.socket.destroy();
      await irc.close();
    }
  });

  it('sync is false when a client never answers', async () => {
    const irc = await startIrcServer();
    const c = await client(irc.port);
    try {
      c.send('NICK quiet');
      c.send('USER quiet 0 * :q');
      c.send('JOIN #x');
      await irc.waitForJoins(1, '#x');
      assert.equal(await irc.sync(200), false);
    } finally {
      c.socket.destroy();
      await irc.close();
    }
  });

  it('nicks have no spaces; stripAnsi removes curses charset switches', () => {
    assert.equal(ircNick('User 3'), 'User_3');
    assert.equal(stripAnsi('\u001b(0x\u001b(B16:21 User_7 | msg#1\u001b[K'), 'x16:21 User_7 | msg#1');
  });
});
