import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BatchIterator } from '../../src/records/batch-iterator.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'

const batches = [1, 2, 3].map((n) => buildRecordBatch([{ value: 'v'.repeat(n * 10), timestamp: n }], { baseOffset: n }))
const all = Buffer.concat(batches)

function walk(iterator: BatchIterator): Array<[number, number]> {
  const seen: Array<[number, number]> = []
  while (iterator.next()) seen.push([iterator.position, iterator.size])
  return seen
}

test('walks every whole batch and ends with stop = end', () => {
  const iterator = new BatchIterator(all)
  assert.deepEqual(walk(iterator), [
    [0, batches[0]!.length],
    [batches[0]!.length, batches[1]!.length],
    [batches[0]!.length + batches[1]!.length, batches[2]!.length],
  ])
  assert.equal(iterator.stop, 'end')
  assert.equal(iterator.validEnd, all.length)
})

test('stops before a trailing partial batch, at every cut point', () => {
  const whole = batches[0]!.length + batches[1]!.length
  for (let cut = whole + 1; cut < all.length; cut++) {
    const iterator = new BatchIterator(all, 0, cut)
    assert.equal(walk(iterator).length, 2)
    assert.equal(iterator.stop, 'partial')
    assert.equal(iterator.validEnd, whole)
  }
})

test('stops at a length field smaller than a v2 header', () => {
  const bad = Buffer.concat([batches[0]!, Buffer.from(batches[1]!)])
  bad.writeInt32BE(10, batches[0]!.length + 8)
  const iterator = new BatchIterator(bad)
  assert.equal(walk(iterator).length, 1)
  assert.equal(iterator.stop, 'invalidLength')
})

test('respects a start position and an empty range', () => {
  const iterator = new BatchIterator(all, batches[0]!.length)
  assert.equal(walk(iterator).length, 2)
  const empty = new BatchIterator(all, 5, 5)
  assert.equal(empty.next(), false)
  assert.equal(empty.stop, 'end')
})
