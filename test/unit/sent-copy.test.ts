import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SENT_CLOCK_SKEW_MS, matchSentCopy } from '../../src/core/connection/sent-copy.js';
import type { Copy } from '../../src/core/connection/index.js';

// The kit's rule for "is this the server's copy of our send": by key, else our user + text + time, never another send's copy.

const at = (ms: number): string => new Date(Date.parse('2026-01-01T12:00:00Z') + ms).toISOString();
const msg = (id: string, author: string, text: string, ms: number, extra: Partial<Copy> = {}): Copy => ({ type: 'message', room: 'r', id, author: { id: author, name: author }, text, time: at(ms), ...extra });
const q = { room: 'r', text: 'hello', txnId: 'txn-1', since: at(0), me: 'me' };

test('matchSentCopy: the key first, then the oldest copy by us with the text since the send; never without our id, another send\'s copy, or an older message', () => {
  const list = [
    msg('old', 'me', 'hello', -SENT_CLOCK_SKEW_MS - 1000), // before the send: someone's (our other client's) earlier message
    msg('bob', 'bob', 'hello', 100),
    msg('a', 'me', 'hello', 200),
    msg('b', 'me', 'hello', 300),
  ];
  assert.equal(matchSentCopy(list, q)?.id, 'a');
  assert.equal(matchSentCopy(list, { ...q, taken: (id) => id === 'a' })?.id, 'b', 'a copy matched to another send is not taken again');
  assert.equal(matchSentCopy([msg('x', 'me', 'hello', 200, { txnId: 'txn-9' })], q), undefined, 'a copy carrying another txnId is that send\'s');
  assert.equal(matchSentCopy(list, { ...q, me: undefined }), undefined, 'no text match without our user id');
  assert.equal(matchSentCopy([msg('c', 'me', 'hello', 200)], { ...q, text: 'hello\u0007' })?.id, 'c', 'our text is compared sanitised, as copies are');
  assert.equal(matchSentCopy([msg('d', 'me', 'hello there', 200)], q), undefined, 'another text is another message');
  assert.equal(matchSentCopy([...list, msg('txn-1', 'me', 'hello', 900)], { ...q, me: undefined })?.id, 'txn-1', 'a client-chosen id is the key');
  assert.equal(matchSentCopy([...list, msg('k', 'someone', 'changed', 900, { txnId: 'txn-1' })], q)?.id, 'k', 'a stored idempotency key wins');
  assert.equal(matchSentCopy([msg('skew', 'me', 'hello', -SENT_CLOCK_SKEW_MS + 500)], q)?.id, 'skew', 'a server clock a little behind ours still counts');
});
