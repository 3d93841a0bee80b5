// Malformed input: every decoder fails with CorruptFrameError only (never RangeError, TypeError
// or an allocation sized by an unchecked length).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { apiSpecs } from '../../src/protocol/messages/index.js'
import { CorruptFrameError, Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { decodeMetadataRequest } from '../../src/protocol/messages/metadata.js'
import { decodeProduceRequest } from '../../src/protocol/messages/produce.js'
import { apiArbitraries } from '../support/arbitraries/messages/index.js'

const SAMPLES_PER_VERSION = 2
const SEED = 20261124

function onlyCorrupt(decode: () => unknown, what: string): void {
  try {
    decode()
  } catch (error) {
    if (!(error instanceof CorruptFrameError)) assert.fail(`${what}: ${String(error)}`)
  }
}

test('every strict prefix of a valid body fails with CorruptFrameError, for every API and version', () => {
  for (const spec of apiSpecs) {
    const arbs = apiArbitraries.get(spec.apiKey)!
    for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
      const sides = [
        { arb: arbs.request(v), enc: spec.encodeRequest, dec: spec.decodeRequest, side: 'request' },
        { arb: arbs.response(v), enc: spec.encodeResponse, dec: spec.decodeResponse, side: 'response' },
      ]
      for (const { arb, enc, dec, side } of sides) {
        for (const message of fc.sample(arb, { numRuns: SAMPLES_PER_VERSION, seed: SEED })) {
          const w = new Writer()
          enc(w, message, v)
          const bytes = w.toBuffer()
          for (let n = 0; n < bytes.length; n++) {
            assert.throws(() => dec(new Reader(bytes.subarray(0, n)), v), CorruptFrameError, `${spec.name} ${side} v${v}, ${n}/${bytes.length} bytes`)
          }
        }
      }
    }
  }
})

test('random bytes and mutated bodies fail only with CorruptFrameError', () => {
  const entries = apiSpecs.flatMap((spec) => {
    const out = []
    for (let v = spec.minVersion; v <= spec.maxVersion; v++) out.push({ spec, v })
    return out
  })
  fc.assert(
    fc.property(fc.integer({ min: 0, max: entries.length - 1 }), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (i, noise, isRequest) => {
      const { spec, v } = entries[i]
      const bytes = Buffer.from(noise)
      const dec = isRequest ? spec.decodeRequest : spec.decodeResponse
      onlyCorrupt(() => dec(new Reader(bytes), v), `${spec.name} v${v} random`)
    }),
    { numRuns: 2000, seed: SEED },
  )
  fc.assert(
    fc.property(fc.integer({ min: 0, max: entries.length - 1 }), fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (i, isRequest, at, xor) => {
      const { spec, v } = entries[i]
      const arbs = apiArbitraries.get(spec.apiKey)!
      const [message] = fc.sample(isRequest ? arbs.request(v) : arbs.response(v), { numRuns: 1, seed: at })
      const w = new Writer()
      ;(isRequest ? spec.encodeRequest : spec.encodeResponse)(w, message, v)
      const bytes = Buffer.from(w.toBuffer())
      if (bytes.length === 0) return
      bytes[at % bytes.length] ^= xor
      onlyCorrupt(() => (isRequest ? spec.decodeRequest : spec.decodeResponse)(new Reader(bytes), v), `${spec.name} v${v} mutated`)
    }),
    { numRuns: 1000, seed: SEED },
  )
})

test('a forged array count is rejected before anything is allocated', () => {
  // Metadata v0: int32 topic count of 2^31-1 followed by 2 bytes.
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('7fffffff0000', 'hex')), 0), CorruptFrameError)
  // Metadata v9: compact count of 2^32-2 elements.
  assert.throws(() => decodeMetadataRequest(new Reader(Buffer.from('ffffffff0f00', 'hex')), 9), CorruptFrameError)
  // Produce v3: records length of 2^31-1.
  const produce = Buffer.from('ffff ffff 00007530 00000001 0001 74 00000001 00000000 7fffffff'.replace(/ /g, ''), 'hex')
  assert.throws(() => decodeProduceRequest(new Reader(produce), 3), CorruptFrameError)
})

test('a tagged field whose size disagrees with its content is corrupt', () => {
  // ApiVersions v3 response; tag 1 (FinalizedFeaturesEpoch, int64) claims 9 bytes.
  const spec = apiSpecs[18]
  const bytes = Buffer.from('0000 01 00000000 01 01 09 0000000000000005 00'.replace(/ /g, ''), 'hex')
  assert.throws(() => spec.decodeResponse(new Reader(bytes), 3), CorruptFrameError)
})
