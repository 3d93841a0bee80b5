import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCode, KafkaError, errorName, isRetriable } from '../../src/protocol/errors.js'

test('error codes carry Kafka\'s names and numbers', () => {
  assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1)
  assert.equal(ErrorCode.NONE, 0)
  assert.equal(ErrorCode.CORRUPT_MESSAGE, 2)
  assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6)
  assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35)
  assert.equal(ErrorCode.KAFKA_STORAGE_ERROR, 56)
  assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100)
  assert.equal(ErrorCode.TRANSACTION_ABORTABLE, 120)
  assert.equal(errorName(87), 'INVALID_RECORD')
  assert.equal(errorName(9999), 'UNKNOWN_ERROR_CODE_9999')
})

test('codes run without gaps from -1 to the highest known one', () => {
  const codes = Object.values(ErrorCode).sort((a, b) => a - b)
  assert.equal(codes[0], -1)
  codes.forEach((code, i) => assert.equal(code, i - 1))
  assert.ok(codes[codes.length - 1] >= 120)
})

test('retriable flags follow Kafka\'s RetriableException hierarchy', () => {
  for (const code of [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_COORDINATOR, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]) {
    assert.equal(isRetriable(code), true, errorName(code))
  }
  for (const code of [ErrorCode.NONE, ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.UNSUPPORTED_VERSION, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 4242]) {
    assert.equal(isRetriable(code), false, errorName(code))
  }
})

test('KafkaError carries its code and defaults its message to the code name', () => {
  const e = new KafkaError(ErrorCode.INVALID_REQUEST)
  assert.ok(e instanceof Error)
  assert.equal(e.code, 42)
  assert.equal(e.message, 'INVALID_REQUEST')
  assert.equal(new KafkaError(3, 'no such topic').message, 'no such topic')
})
