// Startup hook of bin/chat-tui.js (a separate file so that tests can install it without running the CLI).
import fs from 'node:fs';
import module from 'node:module';

/**
 * Ink imports one function, `throttle`, from `es-toolkit/compat`, whose entry module re-exports the
 * whole lodash-compatible toolkit: ~415 modules and ~100 ms of a TUI start (bench `startup_ms`).
 * This resolve hook (Node >= 22.15; elsewhere the start is only slower) points that one import at the
 * file the compat entry itself takes `throttle` from, so Ink gets the very same function. It acts only
 * when both files still say exactly that (Ink imports nothing else from there, the entry re-exports
 * `throttle` from `./function/throttle.mjs`); any other version resolves as usual.
 */
export function installInkThrottleHook() {
  const checked = new Map();
  const read = (url) => {
    try {
      return fs.readFileSync(new URL(url), 'utf8');
    } catch {
      return '';
    }
  };
  module.registerHooks?.({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (specifier !== 'es-toolkit/compat' || !context.parentURL?.endsWith('/ink/build/ink.js')) return resolved;
      const key = `${context.parentURL}\n${resolved.url}`;
      let target = checked.get(key);
      if (target === undefined) {
        target = null;
        const ink = read(context.parentURL);
        const entry = read(resolved.url);
        const onlyThrottle =
          ink.split('es-toolkit/compat').length === 2 && /import\s*\{\s*throttle\s*\}\s*from\s*['"]es-toolkit\/compat['"]/.test(ink);
        if (onlyThrottle && /import\s*\{\s*throttle\s*\}\s*from\s*["']\.\/function\/throttle\.mjs["']/.test(entry)) {
          const url = new URL('./function/throttle.mjs', resolved.url).href;
          if (/export\s*\{\s*throttle\s*\}/.test(read(url))) target = url;
        }
        checked.set(key, target);
      }
      return target ? { url: target, format: 'module', shortCircuit: true } : resolved;
    },
  });
}
