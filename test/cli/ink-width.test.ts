import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import stringWidth from 'string-width';
// @ts-expect-error plain JavaScript module of bin/ (no types)
import inkStringWidth from '../../bin/ink-string-width.js';

const width = inkStringWidth as (s: string, o?: object) => number;
const root = path.resolve(import.meta.dirname, '..', '..');

describe("Ink's string widths (bin/ink-string-width.js)", () => {
  it('gives string-width\'s result for every code point of the fast path, alone, repeated, between letters and inside SGR colours', () => {
    const seg = new Intl.Segmenter();
    let n = 0;
    for (let c = 0x20; c <= 0x25ff; c++) {
      const s = String.fromCodePoint(c);
      for (const text of [s, `a${s}${s}b`, `\u001b[31m${s}\u001b[39m x`, `12:10  Ada │ ${s}`]) {
        assert.equal(width(text), stringWidth(text), `U+${c.toString(16)} in ${JSON.stringify(text)}`);
        n++;
      }
      // What the fast path takes is one column and its own grapheme next to itself.
      if (/^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u00ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u25fc\u25ff]$/.test(s)) assert.equal([...seg.segment(`${s}${s}`)].length, 2);
    }
    assert.ok(n > 30_000);
  });

  it('leaves wide, zero-width and combining text and calls with options to string-width', () => {
    for (const text of ['☕ coffee', '🚀', '日本語', 'e\u0301', 'a\u200bb', '\u00ad', '◽', 'x\u001b]8;;http://x\u0007y', '\u009b31m']) assert.equal(width(text), stringWidth(text), JSON.stringify(text));
    assert.equal(width('│ ab', { countAnsiEscapeCodes: true }), stringWidth('│ ab', { countAnsiEscapeCodes: true }));
  });

  it('the hook hands Ink the wrapper, and Ink still renders', () => {
    const hook = pathToFileURL(path.join(root, 'bin', 'ink-width-hook.js')).href;
    const script = `
      import module from 'node:module';
      const loaded = [];
      module.registerHooks({ load(url, ctx, next) { if (url.endsWith('/bin/ink-string-width.js')) loaded.push(url); return next(url, ctx); } });
      (await import(${JSON.stringify(hook)})).installInkWidthHook();
      const ink = await import('ink');
      console.log(JSON.stringify({ wrapper: loaded.length, render: typeof ink.render }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { wrapper: number; render: string };
    assert.equal(out.render, 'function');
    assert.equal(out.wrapper, 1);
  });
});
