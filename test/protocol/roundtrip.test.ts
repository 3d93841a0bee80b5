// Property tests: for every API request and response at every version, and every data schema,
// decode(encode(x)) deep-equals x and consumes exactly the encoded bytes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { apiSpecs } from '../../src/protocol/messages/index.js'
import { ConsumerProtocolAssignmentSpec, ConsumerProtocolSubscriptionSpec } from '../../src/protocol/messages/consumer-protocol.js'
import { internalSpecs } from '../../src/protocol/internal/index.js'
import type { DataSpec } from '../../src/protocol/api-spec.js'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { apiArbitraries, consumerProtocolArbitraries } from '../support/arbitraries/messages/index.js'
import { internalArbitraries } from '../support/arbitraries/internal/index.js'

const NUM_RUNS = 30

function roundTrip(
  arb: fc.Arbitrary<unknown>,
  encode: (w: Writer, m: unknown) => void,
  decode: (r: Reader) => unknown,
): void {
  fc.assert(
    fc.property(arb, (message) => {
      const w = new Writer(16)
      encode(w, message)
      const bytes = w.toBuffer()
      assert.equal(bytes.length, w.length)
      const r = new Reader(bytes)
      assert.deepEqual(decode(r), message)
      assert.equal(r.remaining(), 0)
    }),
    { numRuns: NUM_RUNS },
  )
}

for (const spec of apiSpecs) {
  const arbs = apiArbitraries.get(spec.apiKey)
  assert.ok(arbs, `arbitraries for ${spec.name}`)
  test(`${spec.name} (key ${spec.apiKey}) requests and responses round-trip at versions ${spec.minVersion}-${spec.maxVersion}`, () => {
    for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
      roundTrip(arbs.request(v), (w, m) => spec.encodeRequest(w, m, v), (r) => spec.decodeRequest(r, v))
      roundTrip(arbs.response(v), (w, m) => spec.encodeResponse(w, m, v), (r) => spec.decodeResponse(r, v))
    }
  })
}

const dataSpecs: Array<[DataSpec, ((version: number) => fc.Arbitrary<unknown>) | undefined]> = [
  [ConsumerProtocolSubscriptionSpec as DataSpec, consumerProtocolArbitraries.get('ConsumerProtocolSubscription')],
  [ConsumerProtocolAssignmentSpec as DataSpec, consumerProtocolArbitraries.get('ConsumerProtocolAssignment')],
  ...internalSpecs.map((s): [DataSpec, ((version: number) => fc.Arbitrary<unknown>) | undefined] => [s, internalArbitraries.get(s.name)]),
]

for (const [spec, arb] of dataSpecs) {
  test(`${spec.name} round-trips at versions ${spec.minVersion}-${spec.maxVersion}`, () => {
    assert.ok(arb)
    for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
      roundTrip(arb(v), (w, m) => spec.encode(w, m, v), (r) => spec.decode(r, v))
    }
  })
}
