/**
 * What the demo's simulated users say (src/demo/server.ts). Plain text only; `{you}` is replaced by the
 * demo user's name.
 */

/**
 * A simulated user: `id` is the chatapi user id, `name` the display name. The ids are the names: Doc B's
 * `connection_status.online_users` carries ids only, so the online list reads well before anyone spoke.
 */
export interface DemoPerson {
  id: string;
  name: string;
}

export const PEOPLE: DemoPerson[] = [
  { id: 'Ada', name: 'Ada' },
  { id: 'Grace', name: 'Grace' },
  { id: 'Linus', name: 'Linus' },
  { id: 'Margaret', name: 'Margaret' },
  { id: 'Alan', name: 'Alan' },
  { id: 'Barbara', name: 'Barbara' },
  { id: 'Ken', name: 'Ken' },
];

/** A demo room: fixed UUID (so a `--serve` profile line keeps working across restarts), name, topic, lines. */
export interface DemoRoomSpec {
  id: string;
  name: string;
  description: string;
  lines: string[];
}

export const ROOMS: DemoRoomSpec[] = [
  {
    id: '7d0c6f1e-5a8b-4c3d-9e2f-000000000001',
    name: 'general',
    description: 'Say hello — everything goes',
    lines: [
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
    ],
  },
  {
    id: '7d0c6f1e-5a8b-4c3d-9e2f-000000000002',
    name: 'random',
    description: 'Off-topic, links and cat pictures (in text)',
    lines: [
      'a cat walked over my keyboard and typed :wq',
      'tabs or spaces? (asking for a friend)',
      'I read that the first computer bug was an actual moth',
      'rainy day here 🌧️',
      'emoji width is a hard problem, change my mind',
      'just found a 10 year old TODO in our code',
      'who wants to try the new ramen place',
      'my plant is finally growing a new leaf 🌱',
      'vim or emacs, final answer',
      'did you know the demo runs completely offline?',
      'bidi overrides are the scariest characters in Unicode',
      'Friday deploys: yes or no',
    ],
  },
  {
    id: '7d0c6f1e-5a8b-4c3d-9e2f-000000000003',
    name: 'help',
    description: 'Questions about chat-tui',
    lines: [
      'how do I add a profile? → chat-tui profile add NAME --service chatapi …',
      'tip: chat-tui tail --json prints one event per line',
      'is there a way to scroll back? yes, PgUp / PgDn',
      'the status line shows the connection state',
      'typing indicators appear under the messages',
      'if the network drops, the client reconnects and backfills',
      'Ctrl-C quits and restores the terminal',
      'can I use it headless? chat-tui send / history / rooms / tail',
      'failed sends stay red until you retry them',
      'mentions of your name are highlighted',
    ],
  },
];

/**
 * Replies to what the demo user said; `{said}` → a short quote of it. The user's name only ever appears
 * as an `@name` mention (MENTION_REPLIES), so every message that names them is a proper mention.
 */
export const REPLIES: string[] = [
  'good point',
  '+1 to that',
  'haha, true',
  '"{said}" — agreed',
  'interesting, tell me more',
  'I was thinking the same thing',
  'noted, thanks!',
  'hmm, not sure about "{said}"',
  'let me check and get back to you',
];

/** Replies that mention the user with `@name` (atMentions). */
export const MENTION_REPLIES: string[] = ['@{you} yes!', '@{you} can you say more?', '@{you} 👍', '@{you} I agree with "{said}"'];

/** Edits: the new text for an earlier message. */
export const EDIT_SUFFIXES: string[] = [' (edited: typo)', ' — actually, never mind', '!'];
