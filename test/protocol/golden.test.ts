// Golden bytes computed by hand from the schemas (shared/kafka-protocol/messages) and the
// encoding rules in its README.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Reader } from '../../src/protocol/reader.js'
import { Writer } from '../../src/protocol/writer.js'
import { KafkaError } from '../../src/protocol/errors.js'
import { decodeRequestHeader, encodeResponseHeader } from '../../src/protocol/headers.js'
import {
  createApiVersionsRequest, createApiVersionsResponse, createApiVersionsResponseApiVersion,
  decodeApiVersionsRequest, decodeApiVersionsResponse, encodeApiVersionsRequest, encodeApiVersionsResponse,
} from '../../src/protocol/messages/api-versions.js'
import {
  createMetadataRequest, createMetadataResponse, createMetadataResponseBroker, createMetadataResponsePartition,
  createMetadataResponseTopic, decodeMetadataRequest, decodeMetadataResponse, encodeMetadataRequest, encodeMetadataResponse,
  type MetadataRequest,
} from '../../src/protocol/messages/metadata.js'
import { createProduceRequest, decodeProduceRequest, encodeProduceRequest } from '../../src/protocol/messages/produce.js'
import {
  createConsumerGroupHeartbeatResponse, createConsumerGroupHeartbeatResponseAssignment, decodeConsumerGroupHeartbeatResponse,
  encodeConsumerGroupHeartbeatResponse,
} from '../../src/protocol/messages/consumer-group-heartbeat.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex')

function encode<T>(fn: (w: Writer, m: T, v: number) => void, m: T, v: number): Buffer {
  const w = new Writer()
  fn(w, m, v)
  return w.toBuffer()
}

function decodeAll<T>(fn: (r: Reader, v: number) => T, bytes: Buffer, v: number): T {
  const r = new Reader(bytes)
  const m = fn(r, v)
  assert.equal(r.remaining(), 0, 'decoder consumes the whole body')
  return m
}

test('ApiVersions v0 request: header v1 and an empty body', () => {
  const frame = hex('0012 0000 00000001 0003 616263')
  const r = new Reader(frame)
  assert.deepEqual(decodeRequestHeader(r), { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: 'abc' })
  assert.deepEqual(decodeApiVersionsRequest(r, 0), createApiVersionsRequest())
  assert.equal(r.remaining(), 0)
  assert.equal(encode(encodeApiVersionsRequest, createApiVersionsRequest(), 0).length, 0)
})

test('ApiVersions v3 request: header v2 with tags, compact strings in the body', () => {
  const frame = hex('0012 0003 0000002a 0003 616263 00 | 07 677265676f72 | 04 312e30 | 00')
  const r = new Reader(frame)
  assert.deepEqual(decodeRequestHeader(r), { apiKey: 18, apiVersion: 3, correlationId: 42, clientId: 'abc' })
  const body = frame.subarray(r.offset)
  const expected = { ...createApiVersionsRequest(), clientSoftwareName: 'gregor', clientSoftwareVersion: '1.0' }
  assert.deepEqual(decodeAll(decodeApiVersionsRequest, body, 3), expected)
  assert.deepEqual(encode(encodeApiVersionsRequest, expected, 3), body)
})

test('ApiVersions v3 response writes non-default tagged fields in tag order', () => {
  const m = createApiVersionsResponse()
  m.apiKeys.push({ ...createApiVersionsResponseApiVersion(), apiKey: 0, minVersion: 0, maxVersion: 11 })
  m.finalizedFeaturesEpoch = 5n
  m.zkMigrationReady = true
  const bytes = hex('0000 | 02 0000 0000 000b 00 | 00000000 | 02 | 01 08 0000000000000005 | 03 01 01')
  assert.deepEqual(encode(encodeApiVersionsResponse, m, 3), bytes)
  assert.deepEqual(decodeAll(decodeApiVersionsResponse, bytes, 3), m)
  // Default-valued tagged fields are omitted: an empty tag section.
  const plain = createApiVersionsResponse()
  assert.deepEqual(encode(encodeApiVersionsResponse, plain, 3), hex('0000 01 00000000 00'))
})

test('ApiVersions v0 response is classic: int32 array count, no tags, no throttle time', () => {
  const m = createApiVersionsResponse()
  m.errorCode = 35
  m.apiKeys.push({ apiKey: 18, minVersion: 0, maxVersion: 4 })
  const bytes = hex('0023 | 00000001 0012 0000 0004')
  assert.deepEqual(encode(encodeApiVersionsResponse, m, 0), bytes)
  assert.deepEqual(decodeAll(decodeApiVersionsResponse, bytes, 0), m)
})

test('Metadata v0 request and response', () => {
  const request: MetadataRequest = { ...createMetadataRequest(), topics: [{ topicId: Buffer.alloc(16), name: 't1' }] }
  const requestBytes = hex('00000001 0002 7431')
  assert.deepEqual(encode(encodeMetadataRequest, request, 0), requestBytes)
  assert.deepEqual(decodeAll(decodeMetadataRequest, requestBytes, 0), request)

  const response = createMetadataResponse()
  response.brokers.push({ ...createMetadataResponseBroker(), nodeId: 1, host: 'h', port: 9092 })
  const topic = { ...createMetadataResponseTopic(), name: 't' }
  topic.partitions.push({ ...createMetadataResponsePartition(), leaderId: 1, replicaNodes: [1], isrNodes: [1] })
  response.topics.push(topic)
  const responseBytes = hex(
    '00000001 | 00000001 0001 68 00002384 | 00000001 | 0000 0001 74 | 00000001 | 0000 00000000 00000001 | 00000001 00000001 | 00000001 00000001',
  )
  assert.deepEqual(encode(encodeMetadataResponse, response, 0), responseBytes)
  assert.deepEqual(decodeAll(decodeMetadataResponse, responseBytes, 0), response)
})

test('Metadata v12 request: compact encodings, uuid, nullable name, tag sections', () => {
  const request: MetadataRequest = { ...createMetadataRequest(), topics: [{ topicId: Buffer.alloc(16), name: 't1' }] }
  const bytes = hex('02 | 00000000000000000000000000000000 03 7431 00 | 01 | 00 | 00')
  assert.deepEqual(encode(encodeMetadataRequest, request, 12), bytes)
  assert.deepEqual(decodeAll(decodeMetadataRequest, bytes, 12), request)
  // Unknown tags, at the top level and inside a struct, are skipped by their size.
  const withTags = hex('02 | 00000000000000000000000000000000 03 7431 01 07 01 ff | 01 | 00 | 02 05 02 aabb 06 00')
  assert.deepEqual(decodeAll(decodeMetadataRequest, withTags, 12), request)
  // Null topics (all topics) is compact null; a null name is allowed from v10.
  const all = { ...createMetadataRequest(), topics: null }
  assert.deepEqual(encode(encodeMetadataRequest, all, 12), hex('00 01 00 00'))
  const byId = { ...createMetadataRequest(), topics: [{ topicId: Buffer.alloc(16, 7), name: null }] }
  assert.deepEqual(decodeAll(decodeMetadataRequest, encode(encodeMetadataRequest, byId, 12), 12), byId)
})

test('version-gated fields: absent ones decode to defaults; non-ignorable non-defaults refuse to encode', () => {
  const m = { ...createMetadataRequest(), allowAutoTopicCreation: false }
  assert.throws(() => encode(encodeMetadataRequest, m, 3), (e: unknown) => e instanceof KafkaError && e.code === 35)
  assert.deepEqual(encode(encodeMetadataRequest, m, 4), hex('00000000 00'))
  // Null topics are not allowed in v0, where an empty list meant "all topics".
  assert.throws(() => encode(encodeMetadataRequest, { ...createMetadataRequest(), topics: null }, 0), TypeError)
  const r = new Reader(hex('ffffffff'))
  assert.throws(() => decodeMetadataRequest(r, 0), /non-nullable field Topics/)
})

test('Produce v3 records are appended by reference and decoded as a view', () => {
  const records = Buffer.alloc(300, 0xab)
  const m = createProduceRequest()
  m.acks = -1
  m.timeoutMs = 30000
  m.topicData.push({ name: 't', partitionData: [{ index: 0, records }] })
  const w = new Writer()
  encodeProduceRequest(w, m, 3)
  assert.ok(w.toBuffers().includes(records), 'records are not copied')
  const frame = w.toBuffer()
  assert.deepEqual(frame.subarray(0, 27), hex('ffff | ffff | 00007530 | 00000001 0001 74 | 00000001 00000000 0000012c'))
  const decoded = decodeAll(decodeProduceRequest, frame, 3)
  assert.deepEqual(decoded, m)
  const view = decoded.topicData[0].partitionData[0].records!
  assert.equal(view.buffer, frame.buffer, 'decoded records are a view of the frame')
})

test('a nullable struct is preceded by an int8 presence byte', () => {
  const m = createConsumerGroupHeartbeatResponse()
  const nullBytes = hex('00000000 0000 00 00 00000000 00000000 ff 00')
  assert.deepEqual(encode(encodeConsumerGroupHeartbeatResponse, m, 0), nullBytes)
  assert.deepEqual(decodeAll(decodeConsumerGroupHeartbeatResponse, nullBytes, 0), m)
  const present = { ...m, assignment: createConsumerGroupHeartbeatResponseAssignment() }
  const presentBytes = hex('00000000 0000 00 00 00000000 00000000 01 01 00 00')
  assert.deepEqual(encode(encodeConsumerGroupHeartbeatResponse, present, 0), presentBytes)
  assert.deepEqual(decodeAll(decodeConsumerGroupHeartbeatResponse, presentBytes, 0), present)
})

test('response headers: v0 is the correlation id, v1 adds an empty tag section', () => {
  const w0 = new Writer()
  encodeResponseHeader(w0, 7, false)
  assert.deepEqual(w0.toBuffer(), hex('00000007'))
  const w1 = new Writer()
  encodeResponseHeader(w1, 7, true)
  assert.deepEqual(w1.toBuffer(), hex('00000007 00'))
})
