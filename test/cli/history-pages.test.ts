import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startChatApiServer } from '../servers/chatapi/server.js';
import { startGlimeshServer } from '../servers/glimesh/server.js';
import { ME, startRoomsServer } from '../servers/rooms/server.js';
import { Cli, lines } from './helpers.js';

// `history --limit N` for more than one request of the service returns (glimesh caps a page at 1000,
// chatapi at 100): the core pages until it has N or the history ends. Through the built binary against
// each service's test server (`npm run build` first).

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seeded {
  /** `profile add` arguments after the name. */
  args: string[];
  room: string;
  /** Message ids stored on the server, oldest first. */
  ids: string[];
  /** History requests the server answered so far. */
  requests(): number;
  /** Most messages one request returns (undefined: no cap). */
  page?: number;
}

async function glimesh(n: number): Promise<Seeded> {
  const s = await startGlimeshServer();
  cleanups.push(() => s.close());
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(s.store('6', i % 2 ? 'Kirby' : 'TheCat', `g${i}`).id);
  return {
    args: ['--service', 'glimesh', '--url', s.url, '--token', s.token, '--room', '6'],
    room: '6',
    ids,
    requests: () => s.requests.filter((r) => JSON.stringify(r.body).includes('chatMessages')).length,
    page: 1000,
  };
}

async function chatapi(n: number): Promise<Seeded> {
  const room = '550e8400-e29b-41d4-a716-446655440001';
  const s = await startChatApiServer({ rooms: [{ id: room, name: 'general' }] });
  cleanups.push(() => s.close());
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(s.post(room, { sender_id: 'u2', sender_name: 'Bob', content: `c${i}` }, { broadcast: false }).id);
  return {
    args: ['--service', 'chatapi', '--url', s.url, '--token', s.apiKey, '--room', room, '--user-id', 'u1', '--user-name', 'Ann'],
    room,
    ids,
    requests: () => s.requests.filter((r) => r.method === 'GET' && r.path.includes('/messages')).length,
    page: 100,
  };
}

async function rooms(n: number): Promise<Seeded> {
  const s = await startRoomsServer({ rooms: [{ id: 11, name: 'lab', occupants: [ME, 'ucabxyz'] }] });
  cleanups.push(() => s.close());
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(String(s.post(11, i % 2 ? ME : 'ucabxyz', `r${i}`).id));
  return { args: ['--service', 'rooms', '--url', s.url, '--token', s.token, '--room', '11'], room: '11', ids, requests: () => s.requests.filter((r) => r.path === '/chat/retrieve').length };
}

const services: [string, (n: number) => Promise<Seeded>, number][] = [
  ['glimesh', glimesh, 2600],
  ['chatapi', chatapi, 260],
  ['rooms', rooms, 1600],
];

describe('history --limit beyond one request', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  for (const [service, seed, n] of services) {
    it(`${service}: --limit over one page gives exactly the last N oldest first; over the whole history gives all of it`, async () => {
      const srv = await seed(n);
      const add = await cli.run(['profile', 'add', service, ...srv.args]);
      assert.equal(add.code, 0, add.stderr);
      const want = n - 50; // more than two pages of the paging services, and over the old cap of 1000 for rooms
      const before = srv.requests();
      const r = await cli.run(['history', '--profile', service, '--room', srv.room, '--limit', String(want), '--json'], { timeoutMs: 40_000 });
      assert.equal(r.code, 0, r.stderr);
      const got = lines(r.stdout).map((l) => JSON.parse(l) as { type: string; id: string });
      assert.ok(got.every((e) => e.type === 'message'), 'only message lines');
      assert.deepEqual(got.map((e) => e.id), srv.ids.slice(-want), 'the last N, each once, oldest first');
      if (srv.page !== undefined) assert.ok(srv.requests() - before >= Math.ceil(want / srv.page), `paged: ${srv.requests() - before} requests`);
      const all = await cli.run(['history', '--profile', service, '--room', srv.room, '--limit', String(n + 5000), '--json'], { timeoutMs: 40_000 });
      assert.equal(all.code, 0, all.stderr);
      assert.deepEqual(lines(all.stdout).map((l) => (JSON.parse(l) as { id: string }).id), srv.ids, 'the whole history, once it ends');
    });
  }

  it('--limit takes any positive number and refuses 0 with one line (exit 2)', async () => {
    const zero = await cli.run(['history', '--profile', 'glimesh', '--limit', '0']);
    assert.equal(zero.code, 2);
    assert.equal(lines(zero.stderr).length, 1);
    assert.match(zero.stderr, /1 or more/);
  });
});
