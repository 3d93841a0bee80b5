// Hands out producer ids (InitProducerId), as Kafka's ZooKeeper-mode ProducerIdManager: ids are
// taken in blocks of PRODUCER_ID_BLOCK_SIZE reserved in the coordination store node
//   /latest_producer_id_block  {"version":1,"broker":<id>,"block_start":"<first>","block_end":"<last>"}
// (Kafka's ProducerIdBlockZNode; start and end are strings there too). A block is claimed with a
// conditional write on the node's version, so two brokers never get the same block, and the store
// persists it before any id of it is handed out, so ids never repeat across restarts: a restart
// simply abandons the rest of its block. Allocation is serialised: callers that find the block
// used up wait for the one claim in flight.
import assert from 'node:assert/strict'
import {
  BadVersionError, jsonData, NodeExistsError, parseJson, type CoordinationStore,
} from '../cluster/coordination/store.js'

export const PRODUCER_ID_BLOCK_PATH = '/latest_producer_id_block'
/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000
/** Conditional-write conflicts tolerated per claim (another broker claiming at the same time). */
const CLAIM_ATTEMPTS_MAX = 10

interface ProducerIdBlockNode {
  version: 1
  broker: number
  block_start: string
  block_end: string
}

export class ProducerIdManager {
  /** Next id to hand out and the last id of the current block; next > last means none left. */
  private nextProducerId = 0
  private lastProducerId = -1
  private claiming: Promise<void> | null = null

  constructor(
    private readonly store: CoordinationStore,
    private readonly brokerId: number,
  ) {}

  /** A producer id never handed out before by any broker of the cluster. */
  async generateProducerId(): Promise<number> {
    while (this.nextProducerId > this.lastProducerId) {
      this.claiming ??= this.claimBlock().finally(() => {
        this.claiming = null
      })
      await this.claiming
    }
    return this.nextProducerId++
  }

  /** Reserves the block after the one recorded in the store (ZkProducerIdManager.getNewProducerIdBlock). */
  private async claimBlock(): Promise<void> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS_MAX; attempt++) {
      const stored = await this.store.get(PRODUCER_ID_BLOCK_PATH)
      const previous = parseJson<ProducerIdBlockNode>(stored)
      const blockStart = previous === null ? 0 : Number(previous.block_end) + 1
      assert.ok(Number.isSafeInteger(blockStart) && blockStart >= 0, `corrupt ${PRODUCER_ID_BLOCK_PATH}: ${stored?.data.toString('utf8')}`)
      const blockEnd = blockStart + PRODUCER_ID_BLOCK_SIZE - 1
      if (!Number.isSafeInteger(blockEnd)) throw new Error('Have exhausted all producerIds.')
      const data = jsonData({ version: 1, broker: this.brokerId, block_start: String(blockStart), block_end: String(blockEnd) } satisfies ProducerIdBlockNode)
      try {
        if (stored === null) await this.store.create(PRODUCER_ID_BLOCK_PATH, data)
        else await this.store.set(PRODUCER_ID_BLOCK_PATH, data, stored.version)
      } catch (error) {
        if (error instanceof NodeExistsError || error instanceof BadVersionError) continue
        throw error
      }
      this.nextProducerId = blockStart
      this.lastProducerId = blockEnd
      return
    }
    throw new Error(`could not claim a producer id block after ${CLAIM_ATTEMPTS_MAX} conflicting attempts`)
  }
}
