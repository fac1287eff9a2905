// The floor of `startup_vs_ink_floor`: a bare Ink program that draws the rows of chat-tui demo's first
// frame (room list, header, 36 message rows `HH:MM  author │ text`, status, composer, footer) in the same
// render mode (alternate screen, incremental rendering, 30 fps, React in production mode), then waits for
// SIGTERM. Typed letters go to its composer row and DEL takes one back (useInput), so that the bench can
// also time Ink's own keypress → echo on a full screen (a diagnosis beside `keypress_vs_weechat`). It gets every start-up aid chat-tui's own entry (bin/chat-tui.js) has that is not chat-tui's
// code — Node's compile cache and the resolve hooks for Ink (es-toolkit's throttle, string widths) — so the floor
// is as low as Ink goes.
// Plain JavaScript, no JSX, no tsx: nothing to compile at start.
import module from 'node:module';

try {
  module.enableCompileCache?.();
} catch {
  // only a slower start
}
try {
  (await import('../bin/ink-throttle-hook.js')).installInkThrottleHook();
  (await import('../bin/ink-width-hook.js')).installInkWidthHook();
} catch {
  // only a slower start
}
process.env.NODE_ENV ??= 'production';
const { createElement: h, useState } = await import('react');
const { render, Box, Text, useInput } = await import('ink');

const LINES = [
  'morning all ☕',
  'did anyone else see the build go green on the first try today?',
  'I am refactoring the session store, wish me luck',
  'lunch in 10?',
  'the new terminal client is surprisingly pleasant',
  'PgUp scrolls back, Ctrl-N switches rooms — neat',
  'who broke the coffee machine again',
  'reminder: retro at 3pm',
  'I pushed a fix for the flaky reconnect test',
  'backoff with full jitter, the only way to live',
  'anyone up for a code review?',
  'that bug was a missing await, as always',
  'ok, the deploy is out 🚀',
  'weekend plans? I am going hiking',
  'TIL terminals understand way too many escape sequences',
];
const PEOPLE = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Ken'];
const rows = process.stdout.rows || 40;
const messages = rows - 4;
const pad = (n) => String(n).padStart(2, '0');

function Row({ i }) {
  const minutes = 12 * 60 + 10 + i * 7;
  return h(
    Box,
    null,
    h(Text, { dimColor: true }, `${pad(Math.floor(minutes / 60) % 24)}:${pad(minutes % 60)}  `),
    h(Text, { bold: true, color: 'cyan' }, PEOPLE[(i * 3) % PEOPLE.length].padStart(13)),
    h(Text, { dimColor: true }, ' │ '),
    h(Text, { wrap: 'truncate' }, LINES[i % LINES.length]),
  );
}

function Composer() {
  const [text, setText] = useState('');
  useInput((input, key) => {
    if (key.backspace || key.delete) setText((t) => t.slice(0, -1));
    else if (input && !key.ctrl && !key.meta) setText((t) => t + input);
  });
  return h(Text, null, `› ${text}`);
}

function Floor() {
  return h(
    Box,
    { flexDirection: 'column', height: rows },
    h(
      Box,
      { flexDirection: 'row', flexGrow: 1 },
      h(
        Box,
        { flexDirection: 'column', width: 25, borderStyle: 'single', borderTop: false, borderBottom: false, borderLeft: false },
        h(Text, { color: 'green' }, '● demo'),
        h(Text, { bold: true }, '› #general'),
        h(Text, null, '  #random'),
        h(Text, null, '  #help'),
      ),
      h(
        Box,
        { flexDirection: 'column', flexGrow: 1 },
        h(Text, { bold: true }, '#general — Say hello — everything goes  [demo]'),
        ...Array.from({ length: messages }, (_, i) => h(Row, { key: i, i })),
        h(Box, { justifyContent: 'flex-end' }, h(Text, { dimColor: true }, '5 online')),
        h(Composer),
      ),
    ),
    h(Text, { inverse: true }, 'chat-tui demo · demo · connected ^N/^P rooms · PgUp/PgDn · ^G find · F1 help · ^C quit'),
  );
}

const instance = render(h(Floor), { alternateScreen: true, interactive: Boolean(process.stdout.isTTY), exitOnCtrlC: true, patchConsole: false, maxFps: 30, incrementalRendering: true });
// Stays up like the TUI (nothing else keeps the event loop alive) until SIGTERM/SIGHUP.
const keepAlive = setInterval(() => {}, 1 << 30);
for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => instance.unmount());
await instance.waitUntilExit();
clearInterval(keepAlive);
