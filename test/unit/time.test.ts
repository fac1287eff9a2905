import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toIsoUtc } from '../../src/core/time.js';

// Zone-less times must be read as UTC, never local: run in a zone far from UTC so a local
// interpretation would show. (Node applies a TZ change at run time.)
process.env.TZ = 'Pacific/Kiritimati'; // UTC+14

const FB = 'FALLBACK';
const T = '2021-01-08T05:03:44.000Z';

describe('toIsoUtc', () => {
  const ok: [unknown, string][] = [
    [1610082224, T],
    [1610082224000, T],
    [1610082224.5, '2021-01-08T05:03:44.500Z'],
    ['1610082224', T],
    ['1610082224000', T],
    [' 1610082224 ', T],
    ['2021-01-08T05:03:44Z', T],
    ['2021-01-08T05:03:44.000Z', T],
    ['2021-01-08T05:03:44', T],
    ['2021-01-08 05:03:44', T],
    ['2021-01-08t05:03:44z', T],
    ['2021-01-08T05:03:44.123456', '2021-01-08T05:03:44.123Z'],
    ['2021-01-08T05:03:44.123456789Z', '2021-01-08T05:03:44.123Z'],
    ['2021-01-08T07:03:44.123456789+02:00', '2021-01-08T05:03:44.123Z'],
    ['2021-01-08T00:03:44-05:00', T],
    ['2021-01-08T07:03:44+0200', T],
    ['2021-01-08T05:03:44.5', '2021-01-08T05:03:44.500Z'],
    ['2021-01-08T05:03', '2021-01-08T05:03:00.000Z'],
    ['2021-01-08', '2021-01-08T00:00:00.000Z'],
    ['Fri, 08 Jan 2021 05:03:44 GMT', T],
    ['Fri, 08 Jan 2021 06:03:44 +0100', T],
    [0, '1970-01-01T00:00:00.000Z'],
  ];
  for (const [input, want] of ok) {
    it(`${JSON.stringify(input)} → ${want}`, () => {
      assert.equal(toIsoUtc(input, FB), want);
    });
  }

  const bad: unknown[] = [
    '',
    'yesterday',
    '-5',
    'hello 5',
    '2021-13-01T00:00:00Z',
    '2021-02-30T00:00:00Z',
    '2021-01-08T25:00:00Z',
    '2021-01-08T05:03:44 GMT+2 (local)',
    'Fri, 08 Jan 2021 05:03:44', // RFC 2822 without a zone would be local: refused
    '2021-01-08T05:03:44Z' + ' '.repeat(100),
    Number.NaN,
    Infinity,
    1e20,
    null,
    undefined,
    {},
    ['2021-01-08'],
    true,
  ];
  for (const input of bad) {
    it(`${String(JSON.stringify(input))?.slice(0, 40)} → fallback`, () => {
      assert.equal(toIsoUtc(input, FB), FB);
    });
  }

  it('defaults the fallback to now', () => {
    const before = Date.now();
    const out = Date.parse(toIsoUtc('garbage'));
    assert.ok(out >= before && out <= Date.now() + 1);
  });

  it('always returns the canonical ISO form with milliseconds and Z', () => {
    for (const [input] of ok) assert.match(toIsoUtc(input, FB), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });
});
