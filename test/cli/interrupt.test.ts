import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { Cli, lines, waitFor } from './helpers.js';

/**
 * Ctrl-C during `send` says what became of the message: "not sent" while the connection is still being
 * made, "went out, not confirmed" once the POST is on its way; exit 130 either way. The server here
 * accepts (or not) and never answers, as a stuck server does.
 */
describe('send interrupted', () => {
  const cli = new Cli();
  const requests: string[] = [];
  let upgrade = true;
  const srv = http.createServer((req) => requests.push(`${req.method} ${req.url}`)); // never answers
  const wss = new WebSocketServer({ noServer: true });
  srv.on('upgrade', (req, socket, head) => {
    if (upgrade) wss.handleUpgrade(req, socket, head, () => {});
    // else: the upgrade hangs
  });
  const sockets = new Set<import('node:net').Socket>();
  srv.on('connection', (c) => sockets.add(c));
  let port = 0;
  before(async () => {
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as AddressInfo).port;
    const add = await cli.run(['profile', 'add', 'h', '--service', 'chatapi', '--url', `http://127.0.0.1:${port}`, '--token', 'tok',
      '--room', '550e8400-e29b-41d4-a716-446655440001', '--user-id', 'u', '--user-name', 'U']);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    for (const c of sockets) c.destroy();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((r) => srv.close(() => r()));
    cli.dispose();
  });

  it('while connecting: "interrupted: not sent", exit 130', async () => {
    upgrade = false;
    const s = cli.start(['send', 'hello']);
    await new Promise((r) => setTimeout(r, 1500));
    s.child.kill('SIGINT');
    const end = await s.exited;
    assert.equal(end.code, 130);
    assert.deepEqual(lines(s.stderr), ['interrupted: not sent']);
    assert.ok(!requests.some((r) => r.startsWith('POST')), 'nothing was posted');
  });

  it('after the POST went out: says so and how to check, exit 130', async () => {
    upgrade = true;
    const s = cli.start(['send', 'hello']);
    await waitFor(() => requests.some((r) => r.startsWith('POST')), 15_000, 'the POST');
    s.child.kill('SIGINT');
    const end = await s.exited;
    assert.equal(end.code, 130);
    assert.deepEqual(lines(s.stderr), ['interrupted: the message went out, but the server has not confirmed it; check with: chat-tui history']);
  });
});
