import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../../src/storage/checkpoint.js'
import { tmpDir } from '../helpers/tmp-dir.js'

test('checkpoints round-trip in Kafka text format', async () => {
  const dir = tmpDir()
  try {
    const file = path.join(dir.path, 'recovery-point-offset-checkpoint')
    await writeCheckpoint(file, [
      { topic: 'orders', partition: 0, offset: 1234 },
      { topic: 'my-topic.v2', partition: 17, offset: 0 },
    ])
    assert.equal(await readFile(file, 'utf8'), '0\n2\norders 0 1234\nmy-topic.v2 17 0\n')
    assert.deepEqual(await readCheckpoint(file), [
      { topic: 'orders', partition: 0, offset: 1234 },
      { topic: 'my-topic.v2', partition: 17, offset: 0 },
    ])
    assert.deepEqual(await readdir(dir.path), ['recovery-point-offset-checkpoint'], 'no temporary file is left behind')
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            topic: fc.stringMatching(/^[a-zA-Z0-9._-]{1,20}$/),
            partition: fc.integer({ min: 0, max: 0x7fffffff }),
            offset: fc.maxSafeNat(),
          }),
          { maxLength: 20 },
        ),
        async (entries) => {
          await writeCheckpoint(file, entries)
          assert.deepEqual(await readCheckpoint(file), entries.map((entry) => ({ ...entry })))
        },
      ),
      { numRuns: 30 },
    )
  } finally {
    await dir.cleanup()
  }
})

test('a missing checkpoint reads as empty; a malformed one throws CheckpointError', async () => {
  const dir = tmpDir()
  try {
    const file = path.join(dir.path, 'checkpoint')
    assert.deepEqual(await readCheckpoint(file), [])
    for (const text of ['1\n0\n', '0\n2\na 0 1\n', '0\n1\na 0\n', '0\n1\na x 1\n', '0\nx\n', '']) {
      await writeFile(file, text)
      await assert.rejects(readCheckpoint(file), CheckpointError, JSON.stringify(text))
    }
  } finally {
    await dir.cleanup()
  }
})
