import { test } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { HANDLER_SPECS, HANDLERS } from '../../src/server/handlers.js'
import { Router } from '../../src/server/router.js'
import { apiSpecByKey } from '../../src/protocol/messages/index.js'

test('every registered handler has its generated codec in HANDLER_SPECS', () => {
  const specKeys = HANDLER_SPECS.map((spec) => spec.apiKey).sort((a, b) => a - b)
  assert.deepEqual(specKeys, HANDLERS.map((handler) => handler.apiKey).sort((a, b) => a - b))
  for (const spec of HANDLER_SPECS) assert.equal(spec, apiSpecByKey(spec.apiKey))
})

test('the router refuses a handler whose codec is missing', () => {
  const log = pino({ enabled: false })
  assert.throws(() => new Router(HANDLERS, HANDLER_SPECS.slice(1), log), /no codec for API key/)
  assert.equal(new Router(HANDLERS, HANDLER_SPECS, log).advertised.length, HANDLERS.length)
})
