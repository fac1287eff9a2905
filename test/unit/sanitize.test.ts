import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitize, sanitizeLine } from '../../src/core/sanitize.js';

// Issue 7 "Hostile input": a table of vectors. Each row is [name, input, expected sanitize() output].
// `expected` null = only the invariants are checked (payloads of unterminated strings, etc.).

const E = '\u001b';
const BEL = '\u0007';
const ST = `${E}\\`;

type Row = [name: string, input: string, expected: string | null];

const HOSTILE: Row[] = [
  // CSI: cursor moves, clears, modes, colours
  ['CSI clear screen', `a${E}[2Jb`, 'ab'],
  ['CSI clear + home', `${E}[2J${E}[Hhi`, 'hi'],
  ['CSI cursor up', `x${E}[5Ay`, 'xy'],
  ['CSI cursor position', `${E}[10;20Hpwned`, 'pwned'],
  ['CSI erase line', `ok${E}[2K${E}[1Gfake`, 'okfake'],
  ['CSI save/restore cursor (DEC)', `${E}7evil${E}8`, 'evil'],
  ['CSI SGR colour', `${E}[31mred${E}[0m`, 'red'],
  ['CSI SGR truecolor', `${E}[38;2;255;0;0mred`, 'red'],
  ['CSI alternate screen', `${E}[?1049hx${E}[?1049l`, 'x'],
  ['CSI hide cursor', `${E}[?25lgone`, 'gone'],
  ['CSI mouse tracking on', `${E}[?1000h${E}[?1006hm`, 'm'],
  ['CSI scroll region', `${E}[1;5rz`, 'z'],
  ['CSI with intermediate', `${E}[0 qcursor`, 'cursor'],
  ['CSI device status report (reply injection)', `${E}[6n`, ''],
  ['CSI window title report', `${E}[21t`, ''],
  ['CSI window resize', `${E}[8;100;100tbig`, 'big'],
  ['CSI unterminated at end', `tail${E}[12;`, 'tail'],
  ['CSI nested ESC', `${E}[3${E}[2Jq`, 'q'],
  // OSC: titles, hyperlinks, clipboard, colours
  ['OSC 0 title BEL', `${E}]0;hacked${BEL}text`, 'text'],
  ['OSC 0 title ST', `${E}]0;hacked${ST}text`, 'text'],
  ['OSC 2 title', `${E}]2;x${BEL}y`, 'y'],
  ['OSC 8 hyperlink BEL', `${E}]8;;https://evil.example${BEL}click${E}]8;;${BEL}`, 'click'],
  ['OSC 8 hyperlink ST', `${E}]8;;file:///etc/passwd${ST}doc${E}]8;;${ST}`, 'doc'],
  ['OSC 52 clipboard write', `${E}]52;c;cm0gLXJmIH4=${BEL}safe`, 'safe'],
  ['OSC 52 clipboard read', `${E}]52;c;?${ST}`, ''],
  ['OSC 4 palette', `${E}]4;1;rgb:ff/00/00${BEL}p`, 'p'],
  ['OSC 1337 iTerm file', `${E}]1337;File=inline=1:AAAA${BEL}img`, 'img'],
  ['OSC unterminated', `before${E}]0;never ends`, 'before'],
  // DCS / SOS / PM / APC
  ['DCS sixel', `${E}Pq#0;2;0;0;0#0!10~${ST}after`, 'after'],
  ['DCS DECRQSS', `${E}P$qm${ST}x`, 'x'],
  ['DCS tmux passthrough', `${E}Ptmux;${E}${E}]0;t${BEL}${ST}ok`, 'ok'],
  ['OSC cut short by another sequence', `${E}]0;title${E}[2Jvisible`, 'visible'],
  ['OSC aborted by CAN', `${E}]0;t\u0018shown`, 'shown'],
  ['SOS', `${E}Xstring${ST}s`, 's'],
  ['PM', `${E}^privacy${ST}p`, 'p'],
  ['APC', `${E}_kitty graphics${ST}k`, 'k'],
  ['APC unterminated', `z${E}_payload`, 'z'],
  // 8-bit C1
  ['C1 CSI U+009B', `a\u009b2Jb`, 'ab'],
  ['C1 CSI SGR', `\u009b31mred`, 'red'],
  ['C1 OSC U+009D BEL', `\u009d0;t${BEL}x`, 'x'],
  ['C1 OSC U+009D ST U+009C', `\u009d8;;u\u009cx`, 'x'],
  ['C1 DCS U+0090', `\u0090q#0\u009cy`, 'y'],
  ['C1 SOS/PM/APC', `\u0098a\u009c\u009eb\u009c\u009fc\u009cd`, 'd'],
  ['C1 NEL U+0085', `a\u0085b`, 'ab'],
  ['C1 IND/RI', `a\u0084\u008db`, 'ab'],
  ['C1 lone ST', `a\u009cb`, 'ab'],
  // bare ESC and two-byte escapes
  ['bare ESC', `a${E}`, 'a'],
  ['ESC c full reset', `${E}cclean`, 'clean'],
  ['ESC charset switch', `${E}(0lqqk${E}(B`, 'lqqk'],
  ['ESC keypad mode', `${E}=x${E}>`, 'x'],
  ['ESC # 8 screen alignment', `${E}#8e`, 'e'],
  ['double ESC', `${E}${E}[2Jx`, 'x'],
  // C0 controls
  ['BEL', `ding${BEL}${BEL}`, 'ding'],
  ['BS overwrite', 'good\b\b\b\bevil', 'goodevil'],
  ['CR overwrite', 'innocent\rEVIL', 'innocentEVIL'],
  ['CRLF becomes LF', 'a\r\nb', 'a\nb'],
  ['NUL', 'nu\u0000ll', 'null'],
  ['vertical tab and form feed', 'a\u000bb\u000cc', 'abc'],
  ['SI/SO charset', 'a\u000eb\u000fc', 'abc'],
  ['DEL', 'a\u007fb', 'ab'],
  ['XON/XOFF', 'a\u0011\u0013b', 'ab'],
  ['SUB/FS', 'a\u001a\u001cb', 'ab'],
  // bidi
  ['RLO override', 'file\u202Egnp.exe', 'filegnp.exe'],
  ['LRO/PDF', '\u202Dx\u202C', 'x'],
  ['RLE/LRE', '\u202Ba\u202Ab', 'ab'],
  ['RLI/LRI/FSI/PDI isolates', '\u2067a\u2066b\u2068c\u2069', 'abc'],
  ['LRM/RLM/ALM marks', 'a\u200Eb\u200Fc\u061Cd', 'abcd'],
  ['Trojan source style', 'access = "user\u202E \u2066// admin\u2069 \u2066"', 'access = "user // admin "'],
  // invalid UTF-16
  ['lone high surrogate', 'a\uD800b', 'a\uFFFDb'],
  ['lone low surrogate', 'a\uDC00b', 'a\uFFFDb'],
  ['reversed pair', '\uDC00\uD800', '\uFFFD\uFFFD'],
  ['surrogate at end', 'x\uD83D', 'x\uFFFD'],
  // mixtures and size
  ['everything at once', `${E}[2J${E}]0;t${BEL}\u009b1m\u202Eok\u0000\r${E}`, 'ok'],
  ['long run of CSI', `${E}[1m`.repeat(50_000) + 'end', 'end'],
  ['long run of bare ESC[', `${E}[`.repeat(50_000) + '\nend', '\nend'],
  ['CSI final byte eats the next letter, as a terminal would', `${E}[end`, 'nd'],
  ['long run of unterminated OSC', `${E}]`.repeat(50_000), ''],
  ['over-long line with escapes', ('x'.repeat(1000) + `${E}[2J`).repeat(2000), 'x'.repeat(2_000_000)],
  ['over-long C1 run', '\u0085'.repeat(200_000) + 'z', 'z'],
];

const BENIGN: string[] = [
  'plain ASCII text, with punctuation! (and numbers 123)',
  '日本語のテキストと中文和한국어',
  'emoji 👍🏽 family 👨‍👩‍👧‍👦 flag 🇳🇿 keycap 1️⃣',
  'accents: café naïve Ångström, combining e\u0301 and n\u0303',
  'RTL text itself is fine: שלום עולם and مرحبا بالعالم',
  'ZWNJ in Persian: می\u200Cخواهم',
  'multi\nline\twith tabs',
  'math ∑ ∫ ≠ and box ┌─┐ and arrows → ←',
  'code: `const x = a[0] ?? "b";` and \\e[31m written as text',
  '',
];

/** The invariants every output must hold. */
function assertClean(out: string, name: string): void {
  assert.ok(!out.includes(E), `${name}: ESC remains`);
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(out), `${name}: C0/DEL remains`);
  assert.ok(!/[\u0080-\u009f]/.test(out), `${name}: C1 remains`);
  assert.ok(!/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(out), `${name}: bidi control remains`);
  assert.ok(out.isWellFormed(), `${name}: lone surrogate remains`);
}

describe('sanitize: hostile vectors', () => {
  it('has at least 50 vectors', () => {
    assert.ok(HOSTILE.length >= 50, `${HOSTILE.length}`);
  });
  for (const [name, input, expected] of HOSTILE) {
    it(name, () => {
      const out = sanitize(input);
      assertClean(out, name);
      if (expected !== null) assert.equal(out, expected);
      const line = sanitizeLine(input);
      assertClean(line, `${name} (line)`);
      assert.ok(!/[\n\t]/.test(line), `${name}: sanitizeLine leaves no newline/tab`);
      assert.equal(sanitize(out), out, `${name}: idempotent`);
    });
  }

  it('the invariants hold for every vector embedded in a name, a room name and an error text', () => {
    for (const [name, input] of HOSTILE.slice(0, 70)) {
      for (const wrap of [(s: string) => `Jane${s}`, (s: string) => `#room ${s} topic`, (s: string) => `error: ${s} (code 4001)`]) {
        assertClean(sanitizeLine(wrap(input)), name);
      }
    }
  });

  it('random control soup never leaves a control behind', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const alphabet = [E, '[', ']', 'P', '\\', BEL, '\u009b', '\u009c', '\u009d', '\u0090', 'a', '1', ';', '\r', '\n', '\u202e', '\ud800', 'é', '日', '\u0000', 'm', '?'];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      assertClean(sanitize(s), JSON.stringify(s));
    }
  });
});

describe('sanitize: benign text is unchanged', () => {
  for (const text of BENIGN) {
    it(JSON.stringify(text.slice(0, 30)), () => {
      assert.equal(sanitize(text), text);
    });
  }

  it('sanitizeLine turns newlines and tabs into single spaces', () => {
    assert.equal(sanitizeLine('a\n\nb\tc'), 'a b c');
  });

  it('non-strings become strings; null and undefined become empty', () => {
    assert.equal(sanitize(undefined), '');
    assert.equal(sanitize(null), '');
    assert.equal(sanitize(42), '42');
    assert.equal(sanitize({ toString: () => `x${E}[2Jy` }), 'xy');
    assert.equal(sanitize({ toString: () => ({}) }), '', 'a throwing conversion never crashes');
  });
});
