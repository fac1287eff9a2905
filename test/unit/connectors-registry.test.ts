import assert from 'node:assert/strict';
import { it } from 'node:test';
import { connectors } from '../../src/connectors/index.js';
import { loadConnector, SERVICE_IDS } from '../../src/connectors/registry.js';

it('the lazy registry lists every connector in the eager order and loads the very same definitions', async () => {
  assert.deepEqual([...SERVICE_IDS], connectors.map((c) => c.id));
  for (const def of connectors) assert.equal(await loadConnector(def.id), def, def.id);
  assert.equal(await loadConnector('nope'), undefined);
  assert.equal(await loadConnector('toString'), undefined, 'no prototype key is a service');
});
