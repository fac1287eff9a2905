import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import module from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { buildProgram, onlyTuiOptions } from '../../src/cli/program.js';
import { root } from './helpers.js';

/** The help text a command prints (commander's own formatter, as `--help` shows it). */
function helpOf(c: Command): string {
  return c.helpInformation();
}

describe('startup: lazy subcommands (bench startup_ms)', () => {
  it('a command line that starts with a subcommand builds only that subcommand', async () => {
    const only = await buildProgram(['demo', '--serve']);
    assert.deepEqual(only.commands.map((c) => c.name()), ['demo']);
    const full = await buildProgram();
    const names = ['profile', 'rooms', 'history', 'send', 'tail', 'login', 'dm', 'search', 'export', 'doctor', 'demo', 'completion'];
    assert.deepEqual(full.commands.map((c) => c.name()), names);
    // root options first, `help`, a typo: the full tree
    for (const argv of [['--profile', 'x', 'demo'], ['help', 'demo'], ['demoo'], ['--help'], ['-p', 'x', '-h'], ['-V'], ['--mouse', 'extra']]) {
      assert.equal((await buildProgram(argv)).commands.length, names.length, argv.join(' '));
    }
  });

  it('a command line of only the TUI\'s root options builds no subcommand, with the same root options', async () => {
    const full = await buildProgram();
    for (const argv of [[], ['-p', 'work'], ['--profile=work', '--mouse'], ['-pwork', '--no-color'], ['--mouse', '--profile', 'w']]) {
      const tui = await buildProgram(argv);
      assert.deepEqual(tui.commands.map((c) => c.name()), [], argv.join(' '));
      assert.deepEqual(tui.options.map((o) => o.flags), full.options.map((o) => o.flags));
    }
    assert.equal(onlyTuiOptions(['-p']), true, 'a missing value is left to commander');
    assert.equal(onlyTuiOptions(['--profiles']), false);
    assert.equal(onlyTuiOptions(['-x']), false);
  });

  it("the subcommand's help and options are the same as in the full tree", async () => {
    const full = await buildProgram();
    for (const c of full.commands) {
      const only = await buildProgram([c.name()]);
      const sub = only.commands[0]!;
      assert.equal(helpOf(sub), helpOf(c), c.name());
      assert.deepEqual(only.options.map((o) => o.flags), full.options.map((o) => o.flags));
    }
  });
});

describe('startup: the Ink throttle hook of bin/chat-tui.js', () => {
  const hook = pathToFileURL(path.join(root, 'bin', 'ink-throttle-hook.js')).href;
  /** Imports ink in a child (with or without the hook) and reports how many es-toolkit files loaded. */
  function loadInk(withHook: boolean): { esToolkit: number; sameThrottle: boolean; render: string } {
    const script = `
      import module from 'node:module';
      let esToolkit = 0;
      module.registerHooks({ load(url, ctx, next) { if (url.includes('/node_modules/es-toolkit/')) esToolkit++; return next(url, ctx); } });
      ${withHook ? `(await import(${JSON.stringify(hook)})).installInkThrottleHook();` : ''}
      const ink = await import('ink');
      const counted = esToolkit;
      const compat = await import('es-toolkit/compat');
      const direct = await import(new URL('./function/throttle.mjs', import.meta.resolve('es-toolkit/compat')).href);
      console.log(JSON.stringify({ esToolkit: counted, sameThrottle: compat.throttle === direct.throttle, render: typeof ink.render }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { esToolkit: number; sameThrottle: boolean; render: string };
  }

  it("gives Ink es-toolkit's own throttle without loading the whole toolkit", { skip: typeof (module as { registerHooks?: unknown }).registerHooks !== 'function' }, () => {
    const plain = loadInk(false);
    const hooked = loadInk(true);
    assert.ok(plain.esToolkit > 100, `without the hook the toolkit entry loads (${plain.esToolkit} files)`);
    assert.ok(hooked.esToolkit > 0 && hooked.esToolkit < 10, `with the hook only throttle and what it needs (${hooked.esToolkit} files)`);
    assert.equal(hooked.render, 'function');
    assert.ok(hooked.sameThrottle, 'the compat entry exports the very function the hook points Ink at');
  });
});

describe('startup: what the TUI imports before it connects (bench warm_start_vs_ink_floor)', () => {
  /** Imports `specifiers` (built files) in a child and lists the loaded modules matching `watch`. */
  function loadedBy(specifiers: string[], watch: RegExp): string[] {
    const script = `
      import module from 'node:module';
      const seen = [];
      module.registerHooks({ load(url, ctx, next) { seen.push(url); return next(url, ctx); } });
      for (const s of ${JSON.stringify(specifiers.map((s) => pathToFileURL(path.join(root, s)).href))}) await import(s);
      console.log(JSON.stringify(seen));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[]).filter((u) => watch.test(u));
  }

  it('the TUI command loads no connector by itself, and one connector loads neither ws nor the other services', { skip: typeof (module as { registerHooks?: unknown }).registerHooks !== 'function' }, () => {
    assert.deepEqual(loadedBy(['dist/cli/commands/tui.js'], /\/dist\/connectors\/(chatapi|glimesh|talkee|rooms)\/|\/node_modules\/(ws|phoenix)\//), []);
    const chatapi = loadedBy(['dist/connectors/registry.js', 'dist/connectors/chatapi/index.js'], /\/dist\/connectors\/|\/node_modules\/(ws|phoenix)\//);
    assert.ok(chatapi.some((u) => u.includes('/dist/connectors/chatapi/')), 'chatapi itself');
    assert.deepEqual(chatapi.filter((u) => !/\/dist\/connectors\/(chatapi\/|registry|http|jwt)/.test(u)), [], 'nothing of glimesh, talkee, rooms, ws or phoenix');
  });
});
