/**
 * Key decoding for the TUI. Ink hands its input listeners raw strings: one escape sequence at a time,
 * but several plain keys typed in one read arrive as ONE string (`"ab\rcd"`, `"\t\r"`; see
 * ../shared/notes/stack.md §3b/§6.5). `parseKeys` turns such a string into a list of key events, so
 * an Enter inside a chunk is an Enter, and function keys (F1, F2, F5 — which Ink's `useInput` reports
 * as an empty input with no flag) have names.
 */

/** One decoded key. `name` is `text` for printable text (in `text`), else a key name (`enter`, `up`, `f1`, `a` with ctrl…). */
export interface KeyEvent {
  name: string;
  ctrl: boolean;
  meta: boolean;
  shift: boolean;
  /** Printable text for `name === 'text'` (may be several characters typed in one chunk). */
  text?: string;
  /** The raw bytes this key came from. */
  raw: string;
}

const CSI_TILDE: Record<string, string> = {
  '1': 'home', '2': 'insert', '3': 'delete', '4': 'end', '5': 'pageup', '6': 'pagedown', '7': 'home', '8': 'end',
  '11': 'f1', '12': 'f2', '13': 'f3', '14': 'f4', '15': 'f5', '17': 'f6', '18': 'f7', '19': 'f8', '20': 'f9',
  '21': 'f10', '23': 'f11', '24': 'f12',
};
const CSI_LETTER: Record<string, string> = {
  A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', E: 'clear', Z: 'tab', P: 'f1', Q: 'f2', R: 'f3', S: 'f4',
};
const SS3: Record<string, string> = {
  P: 'f1', Q: 'f2', R: 'f3', S: 'f4', A: 'up', B: 'down', C: 'right', D: 'left', H: 'home', F: 'end', M: 'enter',
};

function key(name: string, raw: string, mods: Partial<Pick<KeyEvent, 'ctrl' | 'meta' | 'shift'>> = {}): KeyEvent {
  return { name, raw, ctrl: mods.ctrl ?? false, meta: mods.meta ?? false, shift: mods.shift ?? false };
}

/** Modifier parameter of xterm sequences (`1;5A`): value-1 is a bit set, 1 shift, 2 alt, 4 ctrl, 8 meta. */
function mods(param: string | undefined): { shift: boolean; meta: boolean; ctrl: boolean } {
  const m = Math.max(0, (Number(param) || 1) - 1);
  return { shift: (m & 1) !== 0, meta: (m & 2) !== 0 || (m & 8) !== 0, ctrl: (m & 4) !== 0 };
}

/** A single control character (not ESC) as a key. */
function controlKey(ch: string, raw: string, meta: boolean): KeyEvent {
  const code = ch.charCodeAt(0);
  if (ch === '\r' || ch === '\n') return key('enter', raw, { meta });
  if (ch === '\t') return key('tab', raw, { meta });
  if (ch === '\x7f' || ch === '\b') return key('backspace', raw, { meta });
  if (code === 0) return key('space', raw, { ctrl: true, meta });
  if (code <= 26) return key(String.fromCharCode(code + 96), raw, { ctrl: true, meta });
  return key(String.fromCharCode(code + 64), raw, { ctrl: true, meta });
}

// CSI: ESC [ (params) (intermediates) final. Parameters may include '<', '?', ';', ':'.
const CSI_RE = /^\x1b\[([0-9;:<=>?]*)([ -/]*)([@-~])/;
const SS3_RE = /^\x1bO([0-9;]*)([ -~])/;

/** Decodes one escape sequence at the start of `s`; returns the key (or undefined to ignore) and its length. */
function parseEscape(s: string): { ev: KeyEvent | undefined; len: number } {
  // Alt + an escape sequence: ESC ESC [ A
  if (s.startsWith('\x1b\x1b') && s.length > 2) {
    const inner = parseEscape(s.slice(1));
    if (inner.ev) inner.ev = { ...inner.ev, meta: true, raw: s.slice(0, inner.len + 1) };
    return { ev: inner.ev, len: inner.len + 1 };
  }
  let m = CSI_RE.exec(s);
  if (m) {
    const [all, params = '', , final = ''] = m;
    if (params.startsWith('<') || params.startsWith('?') || final === 'I' || final === 'O' && params === '') {
      return { ev: undefined, len: all.length }; // mouse / focus / terminal replies: not keys
    }
    const parts = params.split(';');
    if (final === '~') {
      const name = CSI_TILDE[parts[0] ?? ''];
      return { ev: name ? key(name, all, mods(parts[1])) : undefined, len: all.length };
    }
    if (final === 'u') {
      // kitty / fixterms "CSI code ; mods u"
      const code = Number(parts[0]);
      const md = mods(parts[1]);
      if (code === 13) return { ev: key('enter', all, md), len: all.length };
      if (code === 27) return { ev: key('escape', all, md), len: all.length };
      if (code === 9) return { ev: key('tab', all, md), len: all.length };
      if (code === 127) return { ev: key('backspace', all, md), len: all.length };
      if (code >= 32) {
        const ch = String.fromCodePoint(code);
        return { ev: md.ctrl || md.meta ? key(ch.toLowerCase(), all, md) : { ...key('text', all, md), text: ch }, len: all.length };
      }
      return { ev: undefined, len: all.length };
    }
    const name = CSI_LETTER[final];
    if (!name) return { ev: undefined, len: all.length };
    const md = mods(parts.length > 1 ? parts[1] : undefined);
    if (final === 'Z') md.shift = true;
    return { ev: key(name, all, md), len: all.length };
  }
  m = SS3_RE.exec(s);
  if (m) {
    const [all, params = '', final = ''] = m;
    const name = SS3[final];
    return { ev: name ? key(name, all, mods(params || undefined)) : undefined, len: all.length };
  }
  // "[[A" Linux console F1..F5
  const lc = /^\x1b\[\[([A-E])/.exec(s);
  if (lc) return { ev: key(`f${'ABCDE'.indexOf(lc[1] ?? 'A') + 1}`, lc[0]), len: lc[0].length };
  if (s.length === 1) return { ev: key('escape', s), len: 1 };
  // Alt + one character (code point).
  const cp = s.codePointAt(1) ?? 0;
  const ch = String.fromCodePoint(cp);
  const len = 1 + ch.length;
  if (cp < 32 || cp === 127) return { ev: controlKey(ch, s.slice(0, len), true), len };
  if (ch === '[' || ch === 'O') return { ev: key(ch === '[' ? '[' : 'o', s.slice(0, len), { meta: true, shift: ch === 'O' }), len };
  return { ev: key(ch.toLowerCase(), s.slice(0, len), { meta: true, shift: ch !== ch.toLowerCase() }), len };
}

/**
 * Splits a raw input string into key events. Consecutive printable characters become one `text`
 * event; control characters and escape sequences become named keys; mouse reports and terminal
 * replies are dropped. Never throws.
 */
export function parseKeys(raw: string): KeyEvent[] {
  const out: KeyEvent[] = [];
  let i = 0;
  let text = '';
  const flush = (): void => {
    if (text) out.push({ ...key('text', text), text });
    text = '';
  };
  while (i < raw.length) {
    const ch = raw[i] ?? '';
    if (ch === '\x1b') {
      flush();
      const { ev, len } = parseEscape(raw.slice(i));
      if (ev) out.push(ev);
      i += Math.max(1, len);
      continue;
    }
    const code = ch.charCodeAt(0);
    if (code < 32 || code === 127) {
      flush();
      // CR LF counts as one Enter.
      if (ch === '\r' && raw[i + 1] === '\n') {
        out.push(controlKey('\r', '\r\n', false));
        i += 2;
        continue;
      }
      out.push(controlKey(ch, ch, false));
      i += 1;
      continue;
    }
    if (code >= 0x80 && code <= 0x9f) {
      i += 1; // C1 controls never reach the composer
      continue;
    }
    text += ch;
    i += 1;
  }
  flush();
  return out;
}

/** Short human name of a key event for bindings and the help overlay: `C-n`, `M-up`, `f1`, `enter`. */
export function keyId(ev: KeyEvent): string {
  if (ev.name === 'text') return ev.text ?? '';
  return `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.shift && ev.name.length > 1 ? 'S-' : ''}${ev.name}`;
}
