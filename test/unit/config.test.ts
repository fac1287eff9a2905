import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { configDir, ensureSecureDir } from '../../src/config/paths.js';
import { describeCredential, redact, redactError, registerSecret, resolveToken } from '../../src/config/secrets.js';
import { ConfigStore, checkProfileName } from '../../src/config/store.js';
import { checkServiceUrl, isLoopbackHost, needsCredential, validateProfile } from '../../src/config/validate.js';
import type { ConnectorDefinition } from '../../src/core/connector.js';
import { ChatError, UsageError } from '../../src/core/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-tui-config-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(tmp, `c${n++}`);
const mode = (p: string): number => fs.statSync(p).mode & 0o777;

describe('config directory', () => {
  it('CHAT_TUI_CONFIG_DIR overrides the directory', () => {
    assert.equal(configDir({ CHAT_TUI_CONFIG_DIR: '/x/y' }), '/x/y');
    if (process.platform === 'linux') {
      assert.equal(configDir({ XDG_CONFIG_HOME: '/xdg' }), '/xdg/chat-tui');
    }
  });

  it('creates the directory 0700 and the file 0600', () => {
    const dir = freshDir();
    const store = ConfigStore.open({ dir });
    store.set('a', { service: 'chatapi', token: 't0ken' });
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(path.join(dir, 'config.json')), 0o600);
    assert.equal(store.path, path.join(dir, 'config.json'));
  });

  it('warns and fixes a looser directory and file', () => {
    const dir = freshDir();
    ConfigStore.open({ dir }).set('a', { service: 'chatapi', token: 't0ken' });
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(path.join(dir, 'config.json'), 0o644);
    fs.writeFileSync(path.join(dir, 'outbox.json'), '[]', { mode: 0o666 });
    fs.chmodSync(path.join(dir, 'outbox.json'), 0o666);
    const warnings: string[] = [];
    ConfigStore.open({ dir, warn: (l) => warnings.push(l) });
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(path.join(dir, 'config.json')), 0o600);
    assert.equal(mode(path.join(dir, 'outbox.json')), 0o600);
    assert.equal(warnings.length, 3);
    assert.match(warnings[0] ?? '', /0755.*0700/);
    assert.deepEqual(ensureSecureDir(dir), []);
  });
});

describe('ConfigStore', () => {
  it('adds, lists sorted, gets, updates and removes profiles', () => {
    const store = ConfigStore.open({ dir: freshDir() });
    store.set('zed', { service: 'rooms', token: 'a1b2c3', url: 'http://127.0.0.1:1' });
    store.set('alpha.1', { service: 'chatapi', token: 'k', rooms: ['r1', 'r2'], userId: 'u' });
    assert.deepEqual(store.list().map((p) => p.name), ['alpha.1', 'zed']);
    assert.deepEqual(store.get('alpha.1'), { name: 'alpha.1', service: 'chatapi', token: 'k', rooms: ['r1', 'r2'], userId: 'u' });
    store.update('zed', { token: undefined, tokenEnv: 'ZED_TOKEN' });
    assert.deepEqual(store.get('zed'), { name: 'zed', service: 'rooms', url: 'http://127.0.0.1:1', tokenEnv: 'ZED_TOKEN' });
    assert.equal(store.remove('zed'), true);
    assert.equal(store.remove('zed'), false);
    assert.equal(store.get('zed'), undefined);
    assert.throws(() => store.require('nope'), (e: unknown) => e instanceof UsageError && /no profile named "nope".*alpha\.1/.test(e.message));
  });

  it('survives a reopen (the file is the truth)', () => {
    const dir = freshDir();
    ConfigStore.open({ dir }).set('p', { service: 'talkee', token: 'x', siteId: 2 });
    assert.equal(ConfigStore.open({ dir }).get('p')?.siteId, 2);
  });

  it('refuses bad names and a hand-broken file with a UsageError', () => {
    assert.throws(() => checkProfileName('../evil'), UsageError);
    assert.throws(() => checkProfileName(''), UsageError);
    checkProfileName('work-1_a.b');
    const dir = freshDir();
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'config.json'), '{ not json', { mode: 0o600 });
    assert.throws(() => ConfigStore.open({ dir }), (e: unknown) => e instanceof UsageError && e.message.includes('config.json'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ profiles: { a: { service: 'chatapi', siteId: 'two' } } }));
    assert.throws(() => ConfigStore.open({ dir }), UsageError);
  });
});

describe('secrets', () => {
  it('resolves a stored token, an env var and a command', async () => {
    assert.equal(await resolveToken({ service: 'x', token: 'stored-1' }), 'stored-1');
    assert.equal(await resolveToken({ service: 'x', tokenEnv: 'MY_TOK' }, { env: { MY_TOK: ' from-env \n' } }), 'from-env');
    assert.equal(await resolveToken({ service: 'x', tokenCmd: 'printf "  from-cmd\\n"' }), 'from-cmd');
    assert.equal(await resolveToken({ service: 'x' }), undefined);
  });

  it('an unset env var is a usage error naming the variable', async () => {
    await assert.rejects(resolveToken({ service: 'x', tokenEnv: 'NOPE_NOT_SET' }, { env: {} }), (e: unknown) => e instanceof UsageError && e.message.includes('NOPE_NOT_SET'));
  });

  it('a failing command is one line without its output', async () => {
    await assert.rejects(
      resolveToken({ service: 'x', tokenCmd: 'echo leaked-secret-out; echo leaked-secret-err >&2; exit 3' }),
      (e: unknown) => e instanceof ChatError && e.code === 'auth' && /exit 3/.test(e.message) && !e.message.includes('leaked') && !e.message.includes('\n'),
    );
    await assert.rejects(resolveToken({ service: 'x', tokenCmd: 'true' }), /printed nothing/);
    await assert.rejects(resolveToken({ service: 'x', tokenCmd: 'sleep 5' }, { timeoutMs: 100 }), /timed out/);
  });

  it('redacts registered secrets, also URL-encoded', () => {
    registerSecret('s3cr3t/+=value');
    assert.equal(redact('a s3cr3t/+=value b'), 'a *** b');
    assert.equal(redact(`u?token=${encodeURIComponent('s3cr3t/+=value')}`), 'u?token=***');
    assert.equal(redact('nothing here'), 'nothing here');
  });

  it('a command that prints more than 1 MiB is refused in one line, and stopped at once', async () => {
    const t0 = Date.now();
    await assert.rejects(
      resolveToken({ service: 'x', tokenCmd: 'head -c 1100000 /dev/zero | tr "\\0" a' }),
      (e: unknown) => e instanceof ChatError && e.code === 'auth' && e.message === 'the token command printed more than 1 MiB',
    );
    // `yes` prints forever: without the cap it runs until the time-out
    await assert.rejects(resolveToken({ service: 'x', tokenCmd: 'yes tok' }, { timeoutMs: 10_000 }), /printed more than 1 MiB/);
    assert.ok(Date.now() - t0 < 8000, `${Date.now() - t0} ms`);
    // exactly 1 MiB is still a token
    assert.equal((await resolveToken({ service: 'x', tokenCmd: 'head -c 1048576 /dev/zero | tr "\\0" b' }))?.length, 1 << 20);
  });

  it('redacts a secret in its base64 and base64url forms, at any alignment, and JSON-escaped', () => {
    const secret = 'tok_9f8e7d6c5b4a?>~"x';
    registerSecret(secret);
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const b64 = Buffer.from(`${prefix}${secret}`).toString('base64');
      const b64url = Buffer.from(`${prefix}${secret}`).toString('base64url');
      for (const enc of [b64, b64url]) {
        const out = redact(`Authorization: Basic ${enc} end`);
        assert.ok(out.includes('***'), `${prefix}: ${out}`);
        // what is left decodes to no more than a few characters of the secret
        const left = out.replace(/^Authorization: Basic /, '').replace(/ end$/, '').split('***').join('');
        assert.ok(left.length <= 12, `${prefix}: ${out}`);
      }
    }
    assert.equal(redact(JSON.stringify({ echoed: secret })), '{"echoed":"***"}');
    assert.equal(redact('nothing here'), 'nothing here');
  });

  it('redactError hides a credential after Bearer or in an API key header, known or not', () => {
    assert.equal(redactError('HTTP 400: {"headers":{"authorization":"Bearer eyJhbGciOi.J9.abc123"}}'), 'HTTP 400: {"headers":{"authorization":"Bearer ***"}}');
    assert.equal(redactError('sent Authorization: Bearer%20abc-123-def-456 back'), 'sent Authorization: Bearer%20*** back');
    assert.equal(redactError('x-api-key: k_live_12345678, retry'), 'x-api-key: ***, retry');
    assert.equal(redactError('{"X-API-Key":"k_live_12345678"}'), '{"X-API-Key":"***"}');
    // words after "Bearer" in a sentence stay
    assert.equal(redactError('the server wants Bearer authentication'), 'the server wants Bearer authentication');
    // plain output (chat messages) is left alone
    assert.equal(redact('Bearer abc-123-def-456'), 'Bearer abc-123-def-456');
  });

  it('describes a credential without its value', () => {
    assert.equal(describeCredential({ service: 'x', token: 'abcdef' }), 'token: (set)');
    assert.equal(describeCredential({ service: 'x', tokenEnv: 'V' }), 'token: env V');
    assert.equal(describeCredential({ service: 'x' }), 'token: (none)');
  });
});

describe('validation', () => {
  const calls: unknown[] = [];
  const fake: ConnectorDefinition = {
    id: 'fake',
    displayName: 'Fake',
    capabilities: {
      history: true, typingSend: false, typingReceive: false, presence: false, edits: false,
      roomListing: false, dms: false, join: false, readOnly: false, moderation: false, atMentions: false,
    },
    profileFields: [],
    validate(p) {
      calls.push(p);
      if (p.rooms?.includes('bad')) throw new UsageError('fake: room "bad" is not allowed');
    },
    create() {
      throw new Error('not used');
    },
  };
  const lookup = (id: string): ConnectorDefinition | undefined => (id === 'fake' ? fake : undefined);
  const v = (p: Parameters<typeof validateProfile>[0]) => validateProfile(p, lookup, ['fake']);

  it('knows loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', 'a.localhost']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1', 'example.com', 'localhost.example.com', '128.0.0.1']) assert.ok(!isLoopbackHost(h), h);
  });

  it('refuses plain http/ws to other hosts unless insecure', () => {
    checkServiceUrl('http://127.0.0.1:8000', '--url', false);
    checkServiceUrl('wss://chat.example.com', '--url', false);
    checkServiceUrl('http://chat.example.com', '--url', true);
    assert.throws(() => checkServiceUrl('http://chat.example.com', '--url', false), /--insecure/);
    assert.throws(() => checkServiceUrl('ws://10.1.1.1/ws', '--url', false), /--insecure/);
    assert.throws(() => checkServiceUrl('not a url', '--url', false), /not a valid URL/);
    assert.throws(() => checkServiceUrl('ftp://x', '--url', false), /unsupported scheme/);
    assert.throws(() => checkServiceUrl('https://u:p@x', '--url', false), /credentials/);
  });

  it('unknown service, missing or double credential are usage errors; the connector is asked too', () => {
    assert.throws(() => v({ service: 'nope', token: 't' }), (e: unknown) => e instanceof UsageError && /unknown service "nope".*fake/.test(e.message));
    assert.throws(() => v({ service: 'fake', url: 'https://x' }), /missing credential/);
    assert.throws(() => v({ service: 'fake', url: 'https://x', token: 'a', tokenEnv: 'B' }), /only one/);
    assert.throws(() => v({ service: 'fake', url: 'https://x', tokenEnv: 'not a var' }), /environment variable name/);
    assert.throws(() => v({ service: 'fake', url: 'https://x', token: 't', rooms: ['bad'] }), /room "bad"/);
    assert.equal(v({ service: 'fake', url: 'https://x', token: 't', rooms: ['ok'] }), fake);
    assert.equal(v({ service: 'fake', url: 'https://x', clientId: 'read-only' }), fake);
    assert.ok(calls.length >= 3);
  });

  it('a service with a login may go without a token unless it marks the token required', () => {
    const withLogin: ConnectorDefinition = { ...fake, id: 'withlogin', login: async () => ({ token: 'x' }) };
    const strict: ConnectorDefinition = { ...withLogin, id: 'strict', profileFields: [{ key: 'token', required: true, description: 'key' }] };
    const look = (id: string) => [withLogin, strict].find((d) => d.id === id);
    assert.equal(needsCredential(fake), true);
    assert.equal(needsCredential(withLogin), false);
    assert.equal(needsCredential(strict), true);
    assert.equal(validateProfile({ service: 'withlogin', url: 'https://x' }, look, ['withlogin', 'strict']), withLogin);
    assert.throws(() => validateProfile({ service: 'strict', url: 'https://x' }, look, ['withlogin', 'strict']), /missing credential/);
  });
});
