import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { Cli } from '../cli/helpers.js';
import { FORBIDDEN, HOSTILE } from '../fixtures/hostile.js';
import { demoState, msg, room, TestRuntime } from '../ui/fixtures.js';
import { KEY, mount } from '../ui/harness.js';

// Hostile input: every vector of the table (test/fixtures/hostile.ts) in author names, texts,
// room names, topics and error texts, through the TUI and through the plain and JSON headless output:
// nothing a terminal would act on reaches it. The TUI part feeds the raw vectors straight into the store
// (as if a connector had forgotten to sanitise) to prove the render-time guard; the headless part goes
// through the real chatapi connector and the built CLI against our chatapi test server.

/**
 * Everything left after removing the sequences the app itself writes: SGR colours, the title stack's
 * push/pop (XTWINOPS 22/23), and the OSC 2 title's frame — its payload (room names) stays in and is
 * checked like the rest.
 */
function assertTerminalSafe(out: string, where: string): void {
  const withoutSgr = out
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replace(/\x1b\[2[23];0t/g, '')
    .replace(/\x1b\]2;([^\x07\x1b]*)\x1b\\/g, '$1');
  const bad = FORBIDDEN.exec(withoutSgr);
  assert.equal(bad, null, `${where}: U+${bad?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} reached the terminal at ${bad?.index}`);
  assert.ok(withoutSgr.isWellFormed(), `${where}: a lone surrogate reached the terminal`);
}

/** Vectors cut to a size a screen can show (the over-long ones keep their escape sequences). */
const VECTORS = HOSTILE.map(([name, input]) => [name, input.length > 4000 ? input.slice(0, 2000) + input.slice(-2000) : input] as const);

describe('hostile input through the TUI', () => {
  const CHUNK = 8;
  for (let at = 0; at < VECTORS.length; at += CHUNK) {
    const chunk = VECTORS.slice(at, at + CHUNK);
    test(`vectors ${at + 1}–${at + chunk.length} of ${VECTORS.length} in names, texts, room names, topics, errors, notices`, async () => {
      const st = demoState();
      const general = roomKey('demo', 'general');
      st.setRoom(general, () => ({
        name: `general${chunk[0]![1]}`,
        topic: chunk.map(([, v]) => v).join(' '),
        messages: chunk.flatMap(([, v], i) => [
          msg({ id: `t${i}`, text: `text ${v} end`, author: { id: `u${i}`, name: `name${v}` } }),
          msg({ id: `f${i}`, text: v, author: { id: 'me', name: 'me' }, status: 'failed', error: `refused: ${v}` }),
        ]),
        members: chunk.map(([, v], i) => ({ id: `u${i}`, name: `member${v}` })),
        typing: [{ user: { id: 'u0', name: `typist${chunk[0]![1]}` }, until: Date.now() + 60_000 }],
      }));
      chunk.forEach(([, v], i) => st.addRoom(room('demo', `r${at + i}`, { name: `room${v}`, unread: 1 })));
      st.set(() => ({ notices: chunk.map(([, v], i) => ({ id: i + 1, time: Date.now(), profile: 'demo', level: 'error' as const, text: `error text ${v}` })) }));
      const ui = await mount(new TestRuntime(st), { columns: 160, rows: 60 });
      try {
        assertTerminalSafe(ui.stdout.lastFrame(), 'pane');
        await ui.press(KEY.f2); // member list
        assertTerminalSafe(ui.stdout.lastFrame(), 'member list');
        await ui.press(KEY.ctrl('g')); // room switcher lists every room name
        assertTerminalSafe(ui.stdout.lastFrame(), 'room switcher');
        // Every byte written, minus the modes the app itself switches (bracketed paste, focus reporting).
        assertTerminalSafe(ui.output().replace(/\x1b\[\?(2004|1004)[hl]/g, ''), 'every frame written');
        assert.match(ui.frame(), /room/, 'the rooms are listed (the test looks at a real screen)');
      } finally {
        ui.unmount();
      }
    });
  }
});

describe('hostile input through the headless commands (chatapi connector, built CLI)', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  test('tail (plain and --json) and history: names, texts, room names and error texts stay inert', { timeout: 90_000 }, async () => {
    const ROOM = '6c8d2e1a-0000-4000-8000-00000000beef';
    const s = await startChatApiServer({ rooms: [{ id: ROOM, name: `lobby${VECTORS[0]![1]}\u202e` }] });
    try {
      const add = await cli.run(['profile', 'add', 'h', '--service', 'chatapi', '--url', s.url, '--token', s.apiKey, '--room', ROOM, '--user-id', 'me', '--user-name', 'Me']);
      assert.equal(add.code, 0, add.stderr);
      // History first: half of the vectors are already on the server.
      const half = Math.floor(VECTORS.length / 2);
      VECTORS.slice(0, half).forEach(([, v], i) => s.post(ROOM, { id: `h${i}`, sender_id: `u${i}`, sender_name: `name${v}`, content: `text ${v} end` }, { broadcast: false }));
      const hist = await cli.run(['history', '--profile', 'h', '--room', ROOM, '--limit', '100']);
      assert.equal(hist.code, 0, hist.stderr);
      assert.ok(hist.stdout.split('\n').filter(Boolean).length >= half - 1, 'history printed the messages');
      assertTerminalSafe(hist.stdout + hist.stderr, 'history');

      const plain = cli.start(['tail', '--profile', 'h']);
      const json = cli.start(['tail', '--profile', 'h', '--json']);
      const both = async (pred: (out: string) => boolean, what: string): Promise<void> => {
        const end = Date.now() + 20_000;
        while (!(pred(plain.stdout) && pred(json.stdout))) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await new Promise((r) => setTimeout(r, 300));
      const until = Date.now() + 10_000;
      while (s.openSockets(ROOM).length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      VECTORS.slice(half).forEach(([, v], i) => s.post(ROOM, { id: `l${i}`, sender_id: `v${i}`, sender_name: `name${v}`, content: `text ${v} end` }));
      s.post(ROOM, { id: 'last', sender_id: 'z', sender_name: 'Zed', content: 'the last one' });
      await both((out) => out.includes('the last one'), 'the last message');
      // An error text from the server: a refused reconnect with a hostile close reason.
      s.refuseSockets(5, 4003, `no\x1b]0;x\x07\x9b2J\u202eway`);
      s.drop(ROOM, 1012);
      // Every followed room refused: tail ends with exit 1 and the (sanitised) reason.
      const [pe, je] = await Promise.all([plain.exited, json.exited]);
      assert.deepEqual([pe.code, je.code], [1, 1]);
      assert.match(plain.stderr, /forbidden.*\(noway\)/);
      assert.match(json.stdout, /"type":"error","profile":"h","room":"[^"]+","code":"forbidden"|"code":"forbidden"/);
      assert.doesNotMatch(plain.stderr + json.stderr, /Warning|unsettled|at .*\.js:\d+/, 'no Node warning or stack');
      assertTerminalSafe(plain.stdout + plain.stderr, 'tail plain');
      assertTerminalSafe(json.stdout + json.stderr, 'tail --json (raw bytes)');
      let messages = 0;
      for (const line of json.stdout.split('\n').filter(Boolean)) {
        const ev = JSON.parse(line) as Record<string, unknown>;
        // What `jq -r` would print: the decoded strings must be inert too.
        assertTerminalSafe(JSON.stringify(ev, (_k, v: unknown) => v).replace(/\\u[0-9a-f]{4}/gi, (e) => String.fromCharCode(parseInt(e.slice(2), 16))), 'tail --json (decoded)');
        if (ev.type === 'message') messages++;
      }
      assert.ok(messages >= VECTORS.length - half, `tail --json printed the live messages (${messages})`);
    } finally {
      await s.close();
    }
  });
});
