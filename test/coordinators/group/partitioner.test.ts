import assert from 'node:assert/strict'
import { test } from 'node:test'
import { javaStringHashCode, kafkaAbs, partitionForGroup } from '../../../src/coordinators/group/partitioner.js'

// Expected values computed independently from Java's definition s[0]*31^(n-1) + ... over UTF-16 units.
const CASES: [string, number, number][] = [
  ['', 0, 0],
  ['a', 97, 47],
  ['hello', 99162322, 22],
  ['my-group', -1906497762, 12],
  ['console-consumer-12345', 158455506, 6],
  ['grüppe', -1233264812, 12],
  ['组', 32452, 2],
  ['emoji-😀', 1164511306, 6],
  ['zzzzzzzzzz', -1580979136, 36],
]

test('javaStringHashCode matches java.lang.String#hashCode, including non-ASCII and surrogate pairs', () => {
  for (const [text, hash] of CASES) assert.equal(javaStringHashCode(text), hash, text)
})

test('partitionForGroup is Utils.abs(hashCode) % offsets.topic.num.partitions', () => {
  for (const [text, , partition] of CASES) assert.equal(partitionForGroup(text, 50), partition, text)
  assert.equal(partitionForGroup('my-group', 1), 0)
  assert.equal(partitionForGroup('hello', 7), 99162322 % 7)
})

test('a hash of Integer.MIN_VALUE maps to partition 0 (Kafka Utils.abs), not to |MIN_VALUE| % n', () => {
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648)
  assert.equal(kafkaAbs(-2147483648), 0)
  assert.equal(partitionForGroup('polygenelubricants', 50), 0)
})
