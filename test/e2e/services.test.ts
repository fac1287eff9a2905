import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startGlimeshServer } from '../servers/glimesh/server.js';
import { BOB, CAROL, ME, startRoomsServer } from '../servers/rooms/server.js';
import { startTalkeeServer } from '../servers/talkee/server.js';
import { ROOT, Tmux, e2eSuite } from './tmux.js';

/**
 * The full-screen app with a profile of each service other than chatapi (which the demo covers), in a
 * real terminal (tmux), against our protocol test servers on 127.0.0.1: rooms named, history on open,
 * a live message arriving, a message typed and sent reaching the server, read-only explained.
 * (Issues 4, 5, 6: "works in the TUI".)
 */

const { skip, sessions, closers } = e2eSuite();

/** Adds a profile with the built CLI into the tmux session's config directory. */
function addProfile(t: Tmux, args: string[]): void {
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'chat-tui.js'), 'profile', 'add', ...args], { env: t.env(), stdio: 'pipe' });
}

async function openTui(t: Tmux, profile: string): Promise<void> {
  t.start();
  await t.waitFor((s) => /^[$#] ?$/m.test(s), 'shell prompt');
  t.type(`node bin/chat-tui.js --profile ${profile}; echo "EXIT=$?"`);
  t.keys('Enter');
}

async function quit(t: Tmux): Promise<void> {
  t.keys('C-c');
  await t.waitFor((s) => /EXIT=0/.test(s), 'exit 0', 10_000);
}

/** The shown room from the header row. */
const header = (s: string): string => /│#(\S+)/.exec(s.split('\n')[0] ?? '')?.[1] ?? '';

describe('the TUI with each service (tmux)', { skip: skip ?? false }, () => {
  test('glimesh: two channels by name and id, LIVE header, history on open, live chat, sending', async () => {
    const s = await startGlimeshServer();
    closers.push(() => s.close());
    for (let i = 0; i < 30; i++) s.store('6', 'Kirby', `earlier ${i}`);
    const t = new Tmux(110, 30);
    sessions.push(t);
    addProfile(t, ['g', '--service', 'glimesh', '--url', s.url, '--token', s.token, '--room', 'mytho', '--room', '9']);
    await openTui(t, 'g');
    let screen = await t.waitFor((x) => /#Mytho/.test(x) && /#TheCat/.test(x), 'both channels in the room list', 20_000);
    assert.doesNotMatch(screen, /#mytho\b/, 'no placeholder left for the name given in --room');
    t.keys('C-k');
    await t.waitFor((x) => x.includes('Go to room:'), 'switcher');
    t.type('mytho');
    t.keys('Enter');
    await t.waitFor((x) => header(x) === 'Mytho', 'the channel given by name');
    screen = await t.waitFor((x) => x.includes('earlier 29'), 'history on open');
    assert.doesNotMatch(screen, /#mytho\b/, 'still no placeholder');
    s.post('6', 'TheCat', 'live from the stream');
    await t.waitFor((x) => x.includes('live from the stream'), 'a live message');
    t.type('hello glimesh');
    t.keys('Enter');
    await t.waitFor(() => s.messages.some((m) => m.message === 'hello glimesh'), 'the server got the message');
    await t.waitFor((x) => x.includes('hello glimesh') && !x.includes('⧗'), 'confirmed in the pane');
    t.keys('C-k');
    await t.waitFor((x) => x.includes('Go to room:'), 'switcher');
    t.type('thecat');
    t.keys('Enter');
    screen = await t.waitFor((x) => header(x) === 'TheCat', 'the other channel');
    assert.match(screen.split('\n')[0]!, /LIVE/, 'a live stream says LIVE in the header');
    await quit(t);
  });

  test('glimesh: a client-id profile is read-only and the composer says why', async () => {
    const s = await startGlimeshServer();
    closers.push(() => s.close());
    const t = new Tmux(110, 30);
    sessions.push(t);
    addProfile(t, ['ro', '--service', 'glimesh', '--url', s.url, '--client-id', s.clientId, '--room', '6']);
    await openTui(t, 'ro');
    await t.waitFor((x) => /read-only/.test(x), 'the composer explains read-only', 20_000);
    s.post('6', 'Kirby', 'readers see chat');
    await t.waitFor((x) => x.includes('readers see chat'), 'live chat still arrives');
    await quit(t);
  });

  test('rooms: rooms found and named by themselves, history, live, send confirmed by the echo', async () => {
    const s = await startRoomsServer({
      rooms: [
        { id: 11, name: 'general', occupants: [ME, BOB, CAROL] },
        { id: 12, name: null, occupants: [ME, BOB] },
      ],
      messages: [
        { room: 12, poster: BOB, message: 'dm before', timestamp: 1601200000 },
        { room: 11, poster: CAROL, message: 'general before', timestamp: 1601300000 },
      ],
    });
    closers.push(() => s.close());
    const t = new Tmux(110, 30);
    sessions.push(t);
    addProfile(t, ['r', '--service', 'rooms', '--url', s.url, '--token', s.token, '--alias', `${BOB}=Bob`]);
    await openTui(t, 'r');
    await t.waitFor((x) => /#general/.test(x) && /#Bob\b/.test(x), 'rooms named (the DM after its other occupant)', 20_000);
    t.keys('M-1');
    await t.waitFor((x) => x.includes('dm before') || x.includes('general before'), 'history');
    const first = header(t.capture());
    const room = first === 'general' ? 11 : 12;
    s.post(room, BOB, 'live from Bob');
    await t.waitFor((x) => x.includes('live from Bob'), 'a live message');
    t.type('hello rooms');
    t.keys('Enter');
    await t.waitFor(() => s.messages.some((m) => m.message === 'hello rooms'), 'the server got it');
    await t.waitFor((x) => x.includes('hello rooms') && !x.includes('⧗'), 'confirmed by the echo');
    await quit(t);
  });

  test('talkee: one room per slug, live base64 messages, sending over REST', async () => {
    const s = await startTalkeeServer();
    closers.push(() => s.close());
    const t = new Tmux(110, 30);
    sessions.push(t);
    addProfile(t, ['t', '--service', 'talkee', '--url', s.url, '--api-url', s.apiUrl, '--site-id', '2', '--room', 'welcome', '--room', 'faq', '--token', s.token]);
    await openTui(t, 't');
    await t.waitFor((x) => /#welcome/.test(x) && /#faq/.test(x), 'both slugs', 20_000);
    await t.waitFor(() => s.open(2, 'welcome').length === 1 && s.open(2, 'faq').length === 1, 'one socket per slug');
    s.post(2, 'welcome', { text: 'live on welcome ✓' });
    await t.waitFor((x) => x.includes('live on welcome ✓'), 'a live message (decoded)');
    t.type('hello talkee');
    t.keys('Enter');
    await t.waitFor(() => s.messages.some((m) => Buffer.from(m.data ?? '', 'base64').toString() === 'hello talkee'), 'the server got it');
    await t.waitFor((x) => x.includes('hello talkee') && !x.includes('⧗'), 'confirmed');
    await quit(t);
  });
});
