import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { Cli, waitFor } from './helpers.js';

// U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR from the server: terminals draw them as nothing,
// width tables count a column, some readers of NDJSON take them as line ends. Every headless output shows
// a space instead (room names, author names, texts), like the TUI.

const ROOM = '6c8d2e1a-0000-4000-8000-00000000a028';

describe('U+2028/U+2029 in headless output', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  it('rooms, history and tail (plain and --json) print a space for them', { timeout: 60_000 }, async () => {
    const s = await startChatApiServer({ rooms: [{ id: ROOM, name: 'lobby\u2028one\u2029two' }] });
    try {
      const add = await cli.run(['profile', 'add', 'sep', '--service', 'chatapi', '--url', s.url, '--token', s.apiKey, '--room', ROOM, '--user-id', 'me', '--user-name', 'Me']);
      assert.equal(add.code, 0, add.stderr);
      s.post(ROOM, { id: 'h1', sender_id: 'u1', sender_name: 'Ja\u2028ne', content: 'old\u2028text\u2029here' }, { broadcast: false });
      const outputs: string[] = [];
      for (const args of [['rooms', '--profile', 'sep'], ['rooms', '--profile', 'sep', '--json'], ['history', '--profile', 'sep', '--room', ROOM], ['history', '--profile', 'sep', '--room', ROOM, '--json']]) {
        const r = await cli.run(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        outputs.push(r.stdout);
      }
      assert.match(outputs[0]!, /lobby one two/);
      assert.match(outputs[1]!, /"lobby one two"/);
      assert.match(outputs[2]!, /Ja ne.*old text here/);
      assert.match(outputs[3]!, /"old text here"/);
      const tail = cli.start(['tail', '--profile', 'sep', '--json']);
      await waitFor(() => s.openSockets(ROOM).length > 0, 10_000, 'the tail socket');
      s.post(ROOM, { id: 'l1', sender_id: 'u1', sender_name: 'Ja\u2028ne', content: 'live\u2029text' });
      await waitFor(() => tail.stdout.includes('live text'), 10_000, 'the live message');
      tail.child.kill('SIGTERM');
      await tail.exited;
      outputs.push(tail.stdout);
      for (const out of outputs) assert.ok(!/[\u2028\u2029]/.test(out), JSON.stringify(out.slice(0, 200)));
    } finally {
      await s.close();
    }
  });
});
