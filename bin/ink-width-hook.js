// Startup hook of bin/chat-tui.js (a separate file so that tests and the bench's Ink floor can install it).
import module from 'node:module';

/**
 * Ink measures every text node and every changed output line with `string-width` on every frame
 * (ink/build/output.js, line-update.js, and widest-line for Yoga's measure function). string-width
 * takes a fast path only for printable ASCII; a TUI row with one box-drawing `│`, `›` or `—` goes through
 * Intl.Segmenter and the emoji and East Asian Width tables character by character: measured at 30 % of
 * the TUI's CPU under a 1,000 msg/s flood. This resolve hook (Node >= 22.15; elsewhere only slower)
 * gives Ink and widest-line `./ink-string-width.js` instead: the same function with a wider fast path
 * (see there), which calls the very string-width they would have got for anything else. It acts only
 * when that is the module Ink resolves.
 */
export function installInkWidthHook() {
  const wrapper = new URL('./ink-string-width.js', import.meta.url).href;
  const checked = new Map();
  module.registerHooks?.({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      const parent = context.parentURL ?? '';
      if (specifier !== 'string-width' || parent === wrapper || !(/\/node_modules\/ink\/build\/[^/]+\.js$/.test(parent) || /\/node_modules\/widest-line\/index\.js$/.test(parent))) return resolved;
      let same = checked.get(resolved.url);
      if (same === undefined) {
        // The wrapper must wrap the module the parent would get, not another copy or version.
        same = nextResolve('string-width', { ...context, parentURL: wrapper }).url === resolved.url;
        checked.set(resolved.url, same);
      }
      return same ? { url: wrapper, format: 'module', shortCircuit: true } : resolved;
    },
  });
}
