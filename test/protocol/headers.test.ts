import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CorruptFrameError, Reader } from '../../src/protocol/reader.js'
import { decodeRequestHeader, isFlexible, responseHeaderIsFlexible } from '../../src/protocol/headers.js'
import { apiSpecByKey, apiSpecs } from '../../src/protocol/messages/index.js'

test('flexibility follows each API\'s first flexible version', () => {
  assert.equal(isFlexible(0, 8), false)
  assert.equal(isFlexible(0, 9), true)
  assert.equal(isFlexible(3, 9), true)
  assert.equal(isFlexible(18, 2), false)
  assert.equal(isFlexible(18, 3), true)
  assert.equal(isFlexible(17, 1), false) // SaslHandshake is never flexible
})

test('unknown API keys and versions beyond the schema are not flexible', () => {
  assert.equal(isFlexible(999, 0), false)
  assert.equal(isFlexible(-1, 0), false)
  assert.equal(isFlexible(18, 99), false)
  assert.equal(isFlexible(3, -1), false)
})

test('ApiVersions responses always use header v0', () => {
  assert.equal(responseHeaderIsFlexible(18, 3), false)
  assert.equal(responseHeaderIsFlexible(18, 4), false)
  assert.equal(responseHeaderIsFlexible(3, 9), true)
  assert.equal(responseHeaderIsFlexible(3, 8), false)
})

test('request header v2 skips tagged fields; v1 and unknown versions leave the body untouched', () => {
  const v2 = new Reader(Buffer.from('00030009 00000005 0000 01 02 02 aabb 99'.replace(/ /g, ''), 'hex'))
  assert.deepEqual(decodeRequestHeader(v2), { apiKey: 3, apiVersion: 9, correlationId: 5, clientId: '' })
  assert.equal(v2.remaining(), 1)
  const nullClient = new Reader(Buffer.from('00030008 00000005 ffff 99'.replace(/ /g, ''), 'hex'))
  assert.deepEqual(decodeRequestHeader(nullClient), { apiKey: 3, apiVersion: 8, correlationId: 5, clientId: null })
  assert.equal(nullClient.remaining(), 1)
  // ApiVersions v99: the router answers UNSUPPORTED_VERSION, so the header must not eat body bytes.
  const tooNew = new Reader(Buffer.from('00120063 00000005 0000 05'.replace(/ /g, ''), 'hex'))
  assert.deepEqual(decodeRequestHeader(tooNew), { apiKey: 18, apiVersion: 99, correlationId: 5, clientId: '' })
  assert.equal(tooNew.remaining(), 1)
})

test('a truncated request header is a CorruptFrameError', () => {
  const full = Buffer.from('000300090000000500036162630000', 'hex')
  for (let n = 0; n < full.length - 1; n++) {
    assert.throws(() => decodeRequestHeader(new Reader(full.subarray(0, n))), CorruptFrameError, `prefix of ${n} bytes`)
  }
})

test('apiSpecs lists every key once, in order, and apiSpecByKey finds each', () => {
  assert.equal(apiSpecs.length, 88)
  apiSpecs.forEach((spec, i) => {
    assert.equal(spec.apiKey, i)
    assert.equal(apiSpecByKey(i), spec)
    assert.ok(spec.minVersion <= spec.maxVersion)
  })
  assert.equal(apiSpecByKey(88), undefined)
  assert.equal(apiSpecByKey(-1), undefined)
  const produce = apiSpecByKey(0)!
  assert.deepEqual([produce.name, produce.minVersion, produce.maxVersion, produce.flexibleFrom], ['Produce', 0, 11, 9])
  assert.equal(apiSpecByKey(17)!.flexibleFrom, null)
  assert.ok(apiSpecByKey(0)!.listeners.includes('broker'))
  assert.equal(apiSpecByKey(26)!.latestVersionUnstable, true) // EndTxn v5
})
