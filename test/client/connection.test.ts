import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Connection, ConnectionError } from '../../src/client/connection.js'
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js'
import { Metadata, createMetadataRequest, createMetadataResponse } from '../../src/protocol/messages/metadata.js'
import { Produce } from '../../src/protocol/messages/produce.js'
import { pollUntil } from '../helpers/poll.js'
import { apiVersionsFrame, responseFrame, startFakeBroker, type FakeBroker, type ReceivedRequest } from './fake-broker.js'

const brokers: FakeBroker[] = []
after(async () => {
  for (const b of brokers) await b.close()
})

const RANGES: Record<number, [number, number]> = { 18: [0, 4], 3: [0, 12] }

/** A fake broker answering ApiVersions with RANGES and Metadata with an empty cluster of `clusterId`. */
async function fake(onMetadata?: (request: ReceivedRequest) => Buffer | null, ranges = RANGES): Promise<FakeBroker> {
  const broker = await startFakeBroker((request) => {
    if (request.apiKey === 18) return apiVersionsFrame(request, ranges)
    if (onMetadata !== undefined) return onMetadata(request)
    return metadataFrame(request)
  })
  brokers.push(broker)
  return broker
}

function metadataFrame(request: ReceivedRequest, clusterId = `cluster-${request.correlationId}`): Buffer {
  const body = createMetadataResponse()
  body.clusterId = clusterId
  body.controllerId = 7
  return responseFrame(3, request.apiVersion, request.correlationId, body)
}

async function connect(broker: FakeBroker, options: Partial<Parameters<typeof Connection.connect>[0]> = {}): Promise<Connection> {
  return Connection.connect({ host: '127.0.0.1', port: broker.port, ...options })
}

test('negotiates the highest version both sides support, per API, and rejects APIs the broker lacks', async () => {
  const broker = await fake(undefined, { 18: [0, 3], 3: [1, 5] })
  const connection = await connect(broker, { maxVersions: { 3: 4 } })
  assert.equal(broker.received[0]!.apiKey, 18)
  assert.equal(broker.received[0]!.apiVersion, 4, 'ApiVersions goes out at the highest version the client knows')
  assert.equal(connection.versionFor(Metadata), 4, 'capped by maxVersions')
  assert.throws(() => connection.versionFor(Produce), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION)
  const response = await connection.send(Metadata, createMetadataRequest())
  assert.equal(broker.received[1]!.apiVersion, 4)
  assert.equal(response.controllerId, 7)
  await connection.close()
})

test('an UNSUPPORTED_VERSION ApiVersions answer in the v0 format makes the client retry at the broker\'s version', async () => {
  const broker = await startFakeBroker((request) => {
    if (request.apiKey !== 18) return metadataFrame(request)
    // As Kafka (KIP-511): a v0 body listing the broker's ApiVersions range.
    if (request.apiVersion > 2) return apiVersionsFrame(request, { 18: [0, 2] }, ErrorCode.UNSUPPORTED_VERSION, 0)
    return apiVersionsFrame(request, { 18: [0, 2], 3: [0, 8] })
  })
  brokers.push(broker)
  const connection = await connect(broker)
  assert.deepEqual(broker.received.map((r) => r.apiVersion), [4, 2])
  assert.equal(connection.versionFor(Metadata), 8)
  await connection.close()
})

test('flexible versions use request header v2 and non-flexible ones v1, with the client id', async () => {
  const broker = await fake()
  const connection = await connect(broker, { clientId: 'my-client' })
  await connection.send(Metadata, createMetadataRequest(), { version: 12 })
  await connection.send(Metadata, createMetadataRequest(), { version: 8 })
  // The fake decodes headers by flexibility and fails on unread bytes, so both parsed exactly.
  assert.deepEqual(broker.received.slice(1).map((r) => [r.apiVersion, r.clientId]), [[12, 'my-client'], [8, 'my-client']])
  await connection.close()
})

test('responses written one byte at a time, and several in one write, are framed and matched', async () => {
  const broker = await fake((request) => {
    const frame = metadataFrame(request)
    const socket = [...broker.sockets][0]!
    for (let i = 0; i < frame.length; i++) socket.write(frame.subarray(i, i + 1))
    return null
  })
  const connection = await connect(broker)
  const answers = await Promise.all([1, 2, 3].map(() => connection.send(Metadata, createMetadataRequest())))
  assert.deepEqual(answers.map((a) => a.clusterId), ['cluster-1', 'cluster-2', 'cluster-3'])

  const held: Buffer[] = []
  broker.handler = (request) => {
    held.push(metadataFrame(request))
    if (held.length < 3) return null
    return Buffer.concat(held.splice(0))
  }
  const together = await Promise.all([1, 2, 3].map(() => connection.send(Metadata, createMetadataRequest())))
  assert.deepEqual(together.map((a) => a.clusterId), ['cluster-4', 'cluster-5', 'cluster-6'])
  await connection.close()
})

test('at most maxInFlight requests are outstanding; the rest wait and go out as responses arrive', async () => {
  const held: ReceivedRequest[] = []
  const broker = await fake((request) => {
    held.push(request)
    return null
  })
  const connection = await connect(broker, { maxInFlight: 2 })
  const sends = [1, 2, 3, 4, 5].map(() => connection.send(Metadata, createMetadataRequest()))
  await pollUntil(() => held.length === 2, { message: 'two requests at the broker' })
  const socket = [...broker.sockets][0]!
  socket.write(metadataFrame(held[0]!))
  await pollUntil(() => held.length === 3, { message: 'a third request after one response' })
  assert.equal(broker.received.length, 1 + 3, 'never more than two outstanding')
  for (let i = 1; i < 5; i++) {
    await pollUntil(() => held.length > i, { message: `request ${i + 1} at the broker` })
    socket.write(metadataFrame(held[i]!))
  }
  const answers = await Promise.all(sends)
  assert.deepEqual(answers.map((a) => a.clusterId), ['cluster-1', 'cluster-2', 'cluster-3', 'cluster-4', 'cluster-5'])
  await connection.close()
})

test('a request timeout rejects it with GREGOR_REQUEST_TIMEOUT and closes the connection, failing the others', async () => {
  const broker = await fake(() => null)
  const connection = await connect(broker)
  const first = connection.send(Metadata, createMetadataRequest(), { timeoutMs: 50 })
  const second = connection.send(Metadata, createMetadataRequest(), { timeoutMs: 60_000 })
  await assert.rejects(first, (e: unknown) => e instanceof ConnectionError && e.code === 'GREGOR_REQUEST_TIMEOUT')
  await assert.rejects(second, (e: unknown) => e instanceof ConnectionError && e.code === 'GREGOR_REQUEST_TIMEOUT')
  assert.equal(connection.isOpen, false)
  await assert.rejects(connection.send(Metadata, createMetadataRequest()), ConnectionError)
})

test('a response with an unexpected correlation id is a protocol error that closes the connection', async () => {
  const broker = await fake((request) => metadataFrame({ ...request, correlationId: request.correlationId + 100 }))
  const connection = await connect(broker)
  await assert.rejects(connection.send(Metadata, createMetadataRequest()), (e: unknown) => e instanceof ConnectionError && e.code === 'GREGOR_PROTOCOL_ERROR')
  assert.equal(connection.isOpen, false)
})

test('a response frame above maxResponseBytes is refused before it is buffered', async () => {
  const broker = await fake(() => {
    const huge = Buffer.alloc(4)
    huge.writeInt32BE(2_000_000)
    return huge
  })
  const connection = await connect(broker, { maxResponseBytes: 1_000_000 })
  await assert.rejects(connection.send(Metadata, createMetadataRequest()), (e: unknown) => e instanceof ConnectionError && e.code === 'GREGOR_PROTOCOL_ERROR' && /exceeds the limit/.test(e.message))
})

test('close() lets outstanding requests finish, then closes; later sends are refused', async () => {
  const held: ReceivedRequest[] = []
  const broker = await fake((request) => {
    held.push(request)
    return null
  })
  const connection = await connect(broker)
  const pending = connection.send(Metadata, createMetadataRequest())
  await pollUntil(() => held.length === 1, { message: 'request at the broker' })
  const closing = connection.close()
  await assert.rejects(connection.send(Metadata, createMetadataRequest()), (e: unknown) => e instanceof ConnectionError && e.code === 'GREGOR_CONNECTION_CLOSED')
  ;[...broker.sockets][0]!.write(metadataFrame(held[0]!))
  assert.equal((await pending).clusterId, 'cluster-1')
  await closing
  await pollUntil(() => broker.sockets.size === 0, { message: 'server side closed' })
})

test('connecting to a closed port fails with GREGOR_CONNECT_FAILED', async () => {
  const broker = await fake()
  const port = broker.port
  await broker.close()
  brokers.splice(brokers.indexOf(broker), 1)
  await assert.rejects(Connection.connect({ host: '127.0.0.1', port }), (e: unknown) => e instanceof ConnectionError && e.code === 'GREGOR_CONNECT_FAILED')
})
