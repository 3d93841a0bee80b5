// Pieces shared by the model-based log tests (log-model, segment-read-positions): a model is the
// log's batches in offset order, the real side a PartitionLog.
import assert from 'node:assert/strict'
import type fc from 'fast-check'
import type { PartitionLog } from '../../src/storage/log.js'

export interface BatchesModel {
  readonly batches: { readonly lastOffset: number }[]
}

export interface RealLog {
  log: PartitionLog
}

export function modelLogEndOffset(model: BatchesModel): number {
  return model.batches.length === 0 ? 0 : model.batches.at(-1)!.lastOffset + 1
}

/** Truncates the log to a fraction of its end offset; the model keeps the batches wholly below it. */
export class TruncateCommand<M extends BatchesModel> implements fc.AsyncCommand<M, RealLog> {
  constructor(readonly fraction: number) {}
  check(model: M): boolean {
    return model.batches.length > 0
  }
  async run(model: M, real: RealLog): Promise<void> {
    const target = Math.floor(this.fraction * modelLogEndOffset(model))
    await real.log.truncateTo(target)
    model.batches.splice(model.batches.filter((batch) => batch.lastOffset < target).length)
    assert.equal(real.log.logEndOffset, modelLogEndOffset(model))
  }
  toString(): string {
    return `truncate(${this.fraction.toFixed(2)})`
  }
}
