import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { Cli, hasStack, lines, waitFor } from '../cli/helpers.js';
import { startGlimeshServer, type GlimeshServer } from '../servers/glimesh/server.js';

// The glimesh connector through the built binary (`npm run build` first), as a user runs it.

const servers: GlimeshServer[] = [];
const clis: Cli[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
after(() => {
  for (const c of clis.splice(0)) c.dispose();
});

async function setup(room = '6'): Promise<{ s: GlimeshServer; cli: Cli }> {
  const s = await startGlimeshServer();
  servers.push(s);
  const cli = new Cli();
  clis.push(cli);
  const add = await cli.run(['profile', 'add', 'g', '--service', 'glimesh', '--url', s.url, '--token', s.token, '--room', room]);
  assert.equal(add.code, 0, add.stderr);
  return { s, cli };
}

const events = (stdout: string): Record<string, unknown>[] => lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('glimesh through the CLI', () => {
  it('tail --json keeps printing after phx_error and phx_close on the control channel: what was posted meanwhile comes once, in order', async () => {
    const { s, cli } = await setup();
    const tail = cli.start(['tail', '--profile', 'g', '--json']);
    try {
      const subscribed = (): boolean => s.subscriptions().filter((x) => x.topic === 'chat:6').length === 1;
      await waitFor(subscribed, 15_000, 'the chat subscription');
      const posted = [s.post('6', 'Kirby', 'before').id];
      const ids = (): string[] => events(tail.stdout).filter((e) => e.type === 'message').map((e) => String(e.id));
      await waitFor(() => ids().length === 1, 15_000, 'the first message');
      for (const end of [() => s.crashControl(), () => s.closeControl()]) {
        const joins = s.counters.joins;
        end();
        for (let i = 0; i < 3; i++) posted.push(s.post('6', 'TheCat', `meanwhile ${joins}.${i}`).id);
        await waitFor(() => s.counters.joins > joins && subscribed(), 15_000, 'the rejoin');
        posted.push(s.post('6', 'Kirby', `after ${joins}`).id);
        await waitFor(() => ids().length >= posted.length, 15_000, 'every message');
      }
      assert.deepEqual(ids(), posted, 'each message once, in order');
      assert.ok(!events(tail.stdout).some((e) => e.type === 'gap' || e.type === 'error'), tail.stdout);
    } finally {
      tail.child.kill('SIGINT');
      await tail.exited;
    }
  });


  it('an unknown channel is one not_found error (tail --json, history), exit 1', async () => {
    const { cli } = await setup('nobody');
    const tail = await cli.run(['tail', '--profile', 'g', '--json'], { timeoutMs: 15_000 });
    assert.equal(tail.code, 1, tail.stderr);
    const errors = events(tail.stdout).filter((e) => e.type === 'error');
    assert.equal(errors.length, 1, tail.stdout);
    assert.equal(errors[0]!.code, 'not_found');
    assert.match(String(errors[0]!.message), /nobody/);
    assert.ok(!hasStack(tail.stderr));
    for (const json of [['--json'], []]) {
      const history = await cli.run(['history', '--profile', 'g', '--room', 'nobody', ...json], { timeoutMs: 15_000 });
      assert.equal(history.code, 1, history.stderr);
      const said = [...lines(history.stdout), ...lines(history.stderr)].filter((l) => /not[_ ]found/.test(l));
      assert.equal(said.length, 1, `${history.stdout}\n${history.stderr}`);
    }
  });
});

