import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadUiState, saveUiState, UI_STATE_FILE } from '../../src/config/ui-state.js';
import { uiProblems } from '../../src/config/ui-validate.js';
import { Cli, lines } from './helpers.js';

/** The config's `ui` section is checked (one line per problem, in doctor too); the TUI's memory file is written atomically. */
describe('the ui section of the config', () => {
  it('each problem is one line naming the setting: unknown action or key id, scrollback -1, mouse "yes", unknown setting', () => {
    assert.deepEqual(uiProblems({}), []);
    assert.deepEqual(uiProblems({ timeFormat: 'HH:mm', bell: false, mouse: true, scrollback: 5000, keys: { help: 'f9', quit: ['C-q', 'M-q'], nextRoom: 'M-down' } }), []);
    const p = uiProblems({ scrollback: -1, mouse: 'yes', colour: 1, keys: { jump: 'M-j', help: 'F-one', quit: 'C-Q', retry: 7 } });
    assert.equal(p.length, 7, p.join('\n'));
    assert.ok(p.some((l) => /^ui\.scrollback: -1 is not a whole number of at least 100/.test(l)));
    assert.ok(p.some((l) => /^ui\.mouse: "yes" is not true or false$/.test(l)));
    assert.ok(p.some((l) => /^ui\.colour: unknown setting/.test(l)));
    assert.ok(p.some((l) => /^ui\.keys\.jump: unknown action \(actions: quit nextRoom/.test(l)));
    assert.ok(p.some((l) => /^ui\.keys\.help: "F-one" is not a key id/.test(l)));
    assert.ok(p.some((l) => /^ui\.keys\.quit: "C-Q" is not a key id/.test(l)));
    assert.ok(p.some((l) => /^ui\.keys\.retry: 7 is not a key id or a list/.test(l)));
  });

  const cli = new Cli();
  after(() => cli.dispose());
  it('doctor prints a FAIL line per problem and exits 1; a good ui section is ok', async () => {
    fs.mkdirSync(cli.dir, { recursive: true, mode: 0o700 });
    const file = path.join(cli.dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ profiles: {}, ui: { scrollback: -1, mouse: 'yes', keys: { nope: 'C-x', help: 'Ctrl-H' } } }), { mode: 0o600 });
    let d = await cli.run(['doctor', '--offline']);
    assert.equal(d.code, 1, d.stdout + d.stderr);
    const fails = lines(d.stdout).filter((l) => l.startsWith('FAIL  config ui.'));
    assert.deepEqual(fails.map((l) => l.split(':')[0]), ['FAIL  config ui.scrollback', 'FAIL  config ui.mouse', 'FAIL  config ui.keys.nope', 'FAIL  config ui.keys.help']);
    assert.doesNotMatch(d.stdout, /all good/);
    fs.writeFileSync(file, JSON.stringify({ profiles: {}, ui: { mouse: true, keys: { help: 'f9' } } }), { mode: 0o600 });
    d = await cli.run(['doctor', '--offline']);
    assert.match(d.stdout, /^ok {4}config ui section$/m);
    assert.doesNotMatch(d.stdout, /FAIL  config ui/);
  });
});

describe('the TUI memory file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-tui-uistate-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  it('round-trips, is mode 0600, leaves no temp file; a broken file reads as nothing remembered', () => {
    assert.deepEqual(loadUiState(dir), {});
    const state = { lastRoom: 'demo\u0000r2', roomOrder: ['demo\u0000r2', 'demo\u0000r1'] };
    assert.equal(saveUiState(dir, state), true);
    assert.deepEqual(loadUiState(dir), state);
    const file = path.join(dir, UI_STATE_FILE);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), [UI_STATE_FILE], 'no temp file left');
    fs.writeFileSync(file, '{"lastRoom": ');
    assert.deepEqual(loadUiState(dir), {});
    fs.writeFileSync(file, JSON.stringify({ lastRoom: 3, roomOrder: ['a', 4, 'b'] }));
    assert.deepEqual(loadUiState(dir), { roomOrder: ['a', 'b'] });
  });
});
