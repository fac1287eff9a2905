import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { root } from './helpers.js';

// Packaging: the tarball holds only bin/, dist/, README and LICENSE (and package.json).
// The full install check (npm i -g on Node 22 and 24, --version, --help, demo) is `npm run pack-check`.
describe('npm pack', () => {
  it('lists only bin/, dist/, README.md, LICENSE and package.json, with the entry points', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [info] = JSON.parse(out) as { files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    const stray = files.filter((f) => !/^(bin\/|dist\/|README\.md$|LICENSE$|package\.json$)/.test(f));
    assert.deepEqual(stray, []);
    for (const need of ['bin/chat-tui.js', 'dist/cli/main.js', 'dist/ui/run.js', 'dist/demo/server.js', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(need), `${need} is in the tarball`);
    }
    assert.ok(!files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources');
  });
});
