// The producer-id manager: ids come from blocks claimed in /latest_producer_id_block (Kafka's
// layout), concurrent callers never share an id, and a restart never hands out an id again.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { LocalCoordinationStore } from '../../src/cluster/coordination/local-store.js'
import { parseJson } from '../../src/cluster/coordination/store.js'
import { PRODUCER_ID_BLOCK_PATH, PRODUCER_ID_BLOCK_SIZE, ProducerIdManager } from '../../src/coordinators/producer-id-manager.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const dir = tmpDir('gregor-pid-')
after(() => dir.cleanup())

test('ids are unique across blocks, concurrent callers and restarts', async () => {
  const store = await LocalCoordinationStore.open(dir.path)
  const manager = new ProducerIdManager(store, 3)
  const ids = await Promise.all(Array.from({ length: PRODUCER_ID_BLOCK_SIZE + 10 }, () => manager.generateProducerId()))
  assert.equal(new Set(ids).size, ids.length)
  assert.deepEqual([...ids].sort((a, b) => a - b), Array.from({ length: ids.length }, (_, id) => id))
  assert.deepEqual(parseJson(await store.get(PRODUCER_ID_BLOCK_PATH)), { version: 1, broker: 3, block_start: '1000', block_end: '1999' })
  await store.close()

  const reopened = await LocalCoordinationStore.open(dir.path)
  const afterRestart = await new ProducerIdManager(reopened, 3).generateProducerId()
  assert.equal(afterRestart, 2 * PRODUCER_ID_BLOCK_SIZE, 'the rest of the block in use at the restart is abandoned')
  // A second manager on the same store (another broker) claims the next block, never the same one.
  assert.equal(await new ProducerIdManager(reopened, 4).generateProducerId(), 3 * PRODUCER_ID_BLOCK_SIZE)
  await reopened.close()
})
