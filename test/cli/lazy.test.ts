import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrollbackFrom, uiOptionsFrom } from '../../src/cli/lazy.js';

describe('the config ui section', () => {
  it('takes the known options of the right type and ignores the rest', () => {
    const o = uiOptionsFrom({ timeFormat: 'hh:mm a', bell: false, mouse: true, notify: true, keys: { quit: 'C-q', bad: 3 }, colour: 'x', scrollback: 500 });
    assert.deepEqual(o, { timeFormat: 'hh:mm a', bell: false, mouse: true, notify: true, keys: { quit: 'C-q' } });
    assert.deepEqual(uiOptionsFrom({ bell: 'yes', notify: 1, mouse: 'on' }), {});
  });

  it('scrollback is an integer of at least 100, else the default', () => {
    assert.equal(scrollbackFrom({ scrollback: 2000 }), 2000);
    assert.equal(scrollbackFrom({ scrollback: 50 }), undefined);
    assert.equal(scrollbackFrom({ scrollback: 1.5e3 + 0.5 }), undefined);
    assert.equal(scrollbackFrom({ scrollback: '2000' }), undefined);
    assert.equal(scrollbackFrom({}), undefined);
  });
});
