// ReplicaManager.fetch reads partitions in parallel waves; the bytes it returns must be exactly
// what Kafka's sequential rule gives (ReplicaManager.readFromLog): in request order, at most
// min(partitionMaxBytes, bytes left) per partition, and only the first non-empty partition may
// exceed it with its first batch (KIP-74). Run with several wave floors, so that the planning goes
// through one wave per partition, a few, and one for everything.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import pino from 'pino'
import type { Partition } from '../../src/cluster/partition.js'
import { ReplicaManager, type FetchPartitionRequest } from '../../src/cluster/replica-manager.js'
import { buildRecordBatch } from '../../src/records/record-builder.js'
import { defaultLogConfig } from '../../src/storage/log-config.js'
import { LogManager } from '../../src/storage/log-manager.js'
import { systemClock } from '../../src/util/clock.js'
import { tmpDir } from '../helpers/tmp-dir.js'

const PARTITIONS = 6

test('parallel fetch reads answer the bytes of the sequential rule', async () => {
  const dir = tmpDir()
  const logManager = await LogManager.open({ logDirs: [dir.path], defaultConfig: defaultLogConfig, startScheduler: false })
  const replicaManager = new ReplicaManager(logManager, 0, systemClock, pino({ enabled: false }), 100)
  try {
    const partitions: Partition[] = []
    for (let index = 0; index < PARTITIONS; index++) {
      const state = { partition: index, replicas: [0], leader: 0, leaderEpoch: 0, isr: [0], stateVersion: 0 }
      partitions.push(await replicaManager.makeLeader('t', Buffer.alloc(16), state, defaultLogConfig))
    }
    // Batches of assorted sizes (one to a few hundred records); partition 5 stays empty.
    for (let index = 0; index < PARTITIONS - 1; index++) {
      for (let batch = 0; batch < 8; batch++) {
        const count = 1 + ((index * 7 + batch * 13) % 40) * (batch % 3 === 0 ? 8 : 1)
        const records = Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(20 + ((i + batch) % 50), 97) }))
        await replicaManager.appendAsLeader('t', index, buildRecordBatch(records))
      }
    }
    const sequential = async (requests: FetchPartitionRequest[], maxBytes: number): Promise<number[]> => {
      let bytesLeft = maxBytes
      const lengths: number[] = []
      for (const request of requests) {
        const limit = Math.min(request.partitionMaxBytes, bytesLeft)
        const isFirst = bytesLeft === maxBytes
        const partition = partitions[request.partition]!
        if (request.fetchOffset >= partition.highWatermark || (limit <= 0 && !isFirst)) {
          lengths.push(0)
          continue
        }
        const read = await partition.read(request.fetchOffset, limit, isFirst, partition.highWatermark)
        lengths.push(read.records.length)
        bytesLeft = Math.max(0, bytesLeft - read.records.length)
      }
      return lengths
    }
    const managers = [replicaManager]
    for (const waveReadBytesMin of [0, 3_000]) {
      const manager = new ReplicaManager(logManager, 0, systemClock, pino({ enabled: false }), 100, waveReadBytesMin)
      for (const partition of partitions) await manager.makeLeader('t', partition.topicId, partition.state, defaultLogConfig)
      managers.push(manager)
    }
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({
        partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
        fetchOffset: fc.integer({ min: 0, max: 200 }),
        partitionMaxBytes: fc.integer({ min: 0, max: 40_000 }),
      }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 60_000 }),
      fc.constantFrom(...managers),
      async (wanted, maxBytes, manager) => {
        const requests = wanted.map((request) => ({ topic: 't', currentLeaderEpoch: -1, ...request }))
          .filter((request) => request.fetchOffset <= partitions[request.partition]!.logEndOffset)
        if (requests.length === 0) return
        const results = await manager.fetch(requests, { maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0 })
        assert.deepEqual(results.map((result) => result.records?.length ?? -1), await sequential(requests, maxBytes))
        for (const result of results) assert.equal(result.errorCode, 0)
      },
    ), { numRuns: 300 })
  } finally {
    replicaManager.shutdown()
    await logManager.shutdown()
    await dir.cleanup()
  }
})
