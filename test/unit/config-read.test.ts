import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Conf from 'conf';
import { configSchema } from '../../src/config/schema.js';
import { ConfigStore } from '../../src/config/store.js';
import { UsageError } from '../../src/core/errors.js';
import { GENERATED_FILE, generateConfigValidator } from '../../scripts/gen-config-validator.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-tui-config-read-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const withFile = (content: unknown): string => {
  const dir = path.join(tmp, `c${n++}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
  return dir;
};

/** What `conf` itself says when it reads `dir`'s file with our schema (undefined when it accepts it). */
function confVerdict(dir: string): string | undefined {
  try {
    const c = new Conf({ projectName: 'chat-tui', projectSuffix: '', cwd: dir, configName: 'config', schema: configSchema, clearInvalidConfig: false, accessPropertiesByDotNotation: false });
    void c.store;
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('config read path (ahead-of-time validator)', () => {
  it('the committed validator is what the generator prints for the current schema', () => {
    assert.equal(fs.readFileSync(GENERATED_FILE, 'utf8'), generateConfigValidator(), 'run: npm run gen:config-validator');
  });

  const cases: Array<[string, unknown]> = [
    ['a valid file', { profiles: { a: { service: 'chatapi', token: 't', rooms: ['r'], siteId: 3 } }, ui: { bell: true }, archive: { maxMessages: 10 } }],
    ['extra keys of a newer version', { profiles: { a: { service: 'rooms', future: 1 } }, later: { x: 1 } }],
    ['a wrong type in a profile', { profiles: { a: { service: 'chatapi', siteId: 'two' } } }],
    ['a missing service', { profiles: { 'we/ird~name': { token: 'x' } } }],
    ['an empty service and a bad room list', { profiles: { a: { service: '', rooms: 'r1' } } }],
    ['a bad archive setting', { archive: { maxMessages: -1 } }],
    ['a bad archive type', { archive: 'off' }],
    ['settings not an object', { settings: 3, defaultProfile: 7 }],
    ['an alias that is not a string', { profiles: { a: { service: 'chatapi', aliases: { x: 1 } } } }],
  ];
  for (const [what, content] of cases) {
    it(`agrees with conf on ${what}`, () => {
      const dir = withFile(content);
      const confSays = confVerdict(dir);
      let ours: string | undefined;
      try {
        ConfigStore.open({ dir });
      } catch (err) {
        assert.ok(err instanceof UsageError, `a UsageError, not ${String(err)}`);
        ours = err.message;
      }
      if (confSays === undefined) assert.equal(ours, undefined);
      else {
        assert.ok(ours !== undefined, `conf refuses it (${confSays}) and so must we`);
        assert.ok(ours.includes(confSays.replace(/\.$/, '')), `${ours}\n  does not carry conf's\n  ${confSays}`);
        assert.ok(!ours.includes('\n'), 'one line');
      }
    });
  }

  it('a file that is not JSON: conf\'s words, and nothing of the file (a token) in the message; a BOM is read', () => {
    const dir = withFile('{"profiles": {"a": {"service": "chatapi", "token": "sekrit-123" ');
    const confSays = confVerdict(dir);
    assert.ok(confSays);
    assert.throws(() => ConfigStore.open({ dir }), (e: unknown) => e instanceof UsageError && e.message.includes(confSays.replace(/\.$/, '')) && !e.message.includes('sekrit'));
    const bom = withFile('\uFEFF{"profiles": {"a": {"service": "rooms"}}}');
    assert.equal(confVerdict(bom), undefined);
    assert.deepEqual(ConfigStore.open({ dir: bom }).list().map((p) => p.name), ['a']);
  });

  it('reads see another process\'s write at once, and the first write still goes through conf (0600, schema-checked)', () => {
    const dir = withFile({ profiles: { a: { service: 'chatapi', token: 't' } } });
    const store = ConfigStore.open({ dir });
    assert.deepEqual(store.list().map((p) => p.name), ['a']);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ profiles: { a: { service: 'chatapi' }, b: { service: 'rooms' } }, defaultProfile: 'b' }));
    assert.deepEqual(store.list().map((p) => p.name), ['a', 'b']);
    assert.equal(store.defaultProfile(), 'b');
    store.set('c', { service: 'talkee', siteId: 1 });
    const file = path.join(dir, 'config.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).profiles).sort(), ['a', 'b', 'c']);
    assert.throws(() => store.set('d', { service: 'talkee', siteId: 'x' } as never), (e: unknown) => e instanceof UsageError && /cannot save the profile: .*siteId/.test(e.message));
    assert.equal(store.get('d'), undefined);
  });

  it('a command that only reads the config never loads conf or ajv; one that writes does', () => {
    const dir = path.join(tmp, `cli${n++}`);
    const hook = path.join(tmp, 'hook.mjs');
    // Records every module specifier resolved under the process (module.registerHooks: Node >= 22.15).
    fs.writeFileSync(hook, `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) { seen.add(spec); return next(spec, ctx); } });
process.on('exit', () => { process.stderr.write('\\nLOADED ' + JSON.stringify([...seen].filter((s) => /^(conf|ajv)/.test(s))) + '\\n'); });
`);
    const loaded = (...args: string[]): string[] => {
      const r = spawnSync(process.execPath, ['--import', hook, path.join(root, 'bin', 'chat-tui.js'), ...args], {
        env: { ...process.env, CHAT_TUI_CONFIG_DIR: dir, NO_COLOR: '1' },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const m = /LOADED (\[.*\])/.exec(r.stderr);
      assert.ok(m, `the hook reported (${r.stderr.slice(-300)})`);
      return JSON.parse(m[1] ?? '[]') as string[];
    };
    assert.ok(loaded('profile', 'add', 'w', '--service', 'rooms', '--url', 'http://127.0.0.1:9').includes('conf'));
    assert.deepEqual(loaded('profile', 'list'), []);
    assert.match(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), /"w"/);
  });
});
