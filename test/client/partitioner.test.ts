import assert from 'node:assert/strict'
import { test } from 'node:test'
import { murmur2, partitionForKey } from '../../src/client/partitioner.js'

test('murmur2 matches Kafka\'s Utils.murmur2 on its published test vectors', () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ]
  for (const [input, expected] of vectors) assert.equal(murmur2(Buffer.from(input)), expected, input)
})

test('partitionForKey masks the sign bit and takes the remainder, as Kafka\'s default partitioner', () => {
  const key = Buffer.from('foobar')
  assert.equal(partitionForKey(key, 7), (-790332482 & 0x7fffffff) % 7)
  for (let n = 1; n < 20; n++) {
    const p = partitionForKey(Buffer.from(`key-${n}`), n)
    assert.ok(p >= 0 && p < n)
  }
})
