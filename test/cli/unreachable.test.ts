import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { describeNetworkError } from '../../src/connectors/http.js';
import { Cli, deadPort } from './helpers.js';

describe('describeNetworkError: the words for a failed connection', () => {
  it('names a refused fetch, a refused ws socket (its ErrorEvent too) and a blocked port', async () => {
    const port = await deadPort();
    const fetchErr = await fetch(`http://127.0.0.1:${port}/x`).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(describeNetworkError(fetchErr), `connection refused (ECONNREFUSED) at 127.0.0.1:${port}`);

    const wsErr = await new Promise<unknown>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket?token=secret`);
      ws.onerror = (ev) => resolve(ev); // the ErrorEvent phoenix hands to its onError callbacks
    });
    assert.equal(describeNetworkError(wsErr), `connection refused (ECONNREFUSED) at 127.0.0.1:${port}`);

    const badPort = await fetch('http://127.0.0.1:6000/x').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.match(describeNetworkError(badPort) ?? '', /will not connect to this port/);
  });

  it('looks inside AggregateError and cause chains, and gives undefined for errors without a code', () => {
    const agg = new AggregateError([Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })], 'all failed');
    assert.equal(describeNetworkError(new TypeError('fetch failed', { cause: agg })), 'host unreachable (EHOSTUNREACH)');
    assert.equal(describeNetworkError(Object.assign(new Error('x'), { code: 'ESOMETHINGNEW' })), 'esomethingnew');
    assert.equal(describeNetworkError(new Error('plain')), undefined);
    // host:port only from an IP literal and a numeric port (never a host name or URL a key could hide in)
    assert.equal(describeNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED', address: '::1', port: 9 })), 'connection refused (ECONNREFUSED) at [::1]:9');
    assert.equal(describeNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED', address: 'https://k@h/', port: 9 })), 'connection refused (ECONNREFUSED)');
    assert.equal(describeNetworkError(undefined), undefined);
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    assert.equal(describeNetworkError(loop), undefined);
  });
});

describe('a server that is not there: one line, exit 1, the reason in words', () => {
  const cli = new Cli();
  after(() => cli.dispose());

  for (const [service, extra] of [
    ['glimesh', ['--room', 'x']],
    ['rooms', ['--room', '1']],
    ['talkee', ['--room', 'lobby', '--site-id', '1']],
    ['chatapi', ['--room', '550e8400-e29b-41d4-a716-446655440001', '--user-id', 'u1', '--user-name', 'U']],
  ] as const) {
    it(`${service}: send and rooms say "connection refused", never "retrying" or "fetch failed", never the token`, async () => {
      const port = await deadPort();
      const add = await cli.run(['profile', 'add', service, '--service', service, '--url', `http://127.0.0.1:${port}`, '--token', 'sekret-token-1', ...extra]);
      assert.equal(add.code, 0, add.stderr);
      for (const args of [['--profile', service, 'send', 'hello'], ['--profile', service, 'rooms']]) {
        const r = await cli.run(args);
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0]!, new RegExp(`connection refused \\(ECONNREFUSED\\) at 127\\.0\\.0\\.1:${port}`));
        assert.doesNotMatch(r.stderr, /retrying|fetch failed|sekret-token-1|\n\s+at /);
      }
    });
  }
});
