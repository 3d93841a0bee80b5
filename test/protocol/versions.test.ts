import { test } from 'node:test'
import assert from 'node:assert/strict'
import { apiSpecByKey, apiSpecs } from '../../src/protocol/messages/index.js'
import { apiVersionRanges } from '../../src/protocol/messages/versions.js'

test('the version table has the range and flexibility of every codec, and nothing else', () => {
  assert.equal(apiVersionRanges.length, apiSpecs.length)
  apiVersionRanges.forEach((range, apiKey) => {
    const spec = apiSpecByKey(apiKey)
    if (spec === undefined) {
      assert.equal(range, undefined, `key ${apiKey}`)
      return
    }
    assert.deepEqual(range, { minVersion: spec.minVersion, maxVersion: spec.maxVersion, flexibleFrom: spec.flexibleFrom }, spec.name)
  })
})
