// DescribeLogDirs (key 35), v0-4: every log directory of this broker with the size of each hosted
// partition (all of them when topics is null, else the named ones that are hosted here), offsetLag
// 0 (no future replicas: intra-broker moves are not supported) and, from v4, the file system's
// total and usable bytes.
import { statfs } from 'node:fs/promises'
import { ErrorCode } from '../../protocol/errors.js'
import {
  createDescribeLogDirsResponse, type DescribeLogDirsRequest, type DescribeLogDirsResponse,
} from '../../protocol/messages/describe-log-dirs.js'
import type { ApiHandler } from '../api-handler.js'

type Result = DescribeLogDirsResponse['results'][number]

export const describeLogDirs: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: 35,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    const logManager = ctx.broker.logManager
    const wanted = request.topics === null ? null : new Map(request.topics.map((topic) => [topic.topic, new Set(topic.partitions)]))
    const results = new Map<string, Result>()
    for (const dir of logManager.logDirs) {
      const space = await statfs(dir).catch(() => null)
      results.set(dir, {
        errorCode: ErrorCode.NONE, logDir: dir, topics: [],
        totalBytes: space === null ? -1n : BigInt(space.blocks) * BigInt(space.bsize),
        usableBytes: space === null ? -1n : BigInt(space.bavail) * BigInt(space.bsize),
      })
    }
    for (const log of logManager.allLogs()) {
      if (wanted !== null && wanted.get(log.topic)?.has(log.partition) !== true) continue
      const result = results.get(logManager.logDirFor(log.topic, log.partition) ?? '')
      if (result === undefined) continue
      let topic = result.topics.find((entry) => entry.name === log.topic)
      if (topic === undefined) {
        topic = { name: log.topic, partitions: [] }
        result.topics.push(topic)
      }
      topic.partitions.push({ partitionIndex: log.partition, partitionSize: BigInt(log.size), offsetLag: 0n, isFutureKey: false })
    }
    const response = createDescribeLogDirsResponse()
    response.results = [...results.values()]
    return response
  },
  errorResponse(_request, errorCode) {
    const response = createDescribeLogDirsResponse()
    response.errorCode = errorCode
    return response
  },
}
