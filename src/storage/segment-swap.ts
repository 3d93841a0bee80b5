// Multi-file operations on segments made crash-safe with file-name suffixes, as Kafka's LocalLog
// and LogLoader do:
//
//   <base>.log.deleted (and its .index/.timeindex)  a segment removed by retention or compaction,
//                                                    kept until file.delete.delay.ms passed so
//                                                    reads in flight finish; removed at start-up
//   <base>.log.cleaned                               a compacted replacement being written;
//                                                    incomplete by definition, removed at start-up
//   <base>.log.swap                                  a complete replacement for the segments whose
//                                                    base offsets lie in [base, its next offset)
//
// Compaction writes `.cleaned`, fsyncs it, renames it `.swap` (the commit point), renames the
// replaced segments `.deleted`, then renames the swap to `<base>.log`. After a crash before the
// commit point the old segments are intact; after it, start-up finishes the swap: it deletes every
// segment file in the swap's range and renames the swap into place. Either way the log is a valid
// sequence of segments with increasing offsets, holding every record the cleaner did not remove.
import { open, readdir, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import { BATCH_HEADER_SIZE, readBatchSize, readLastOffset } from '../records/batch-header.js'
import { FileWindow } from './file-window.js'
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, parseSegmentFileName, segmentFileName, TIME_INDEX_FILE_SUFFIX } from './segment.js'

export const DELETED_FILE_SUFFIX = '.deleted'
export const CLEANED_FILE_SUFFIX = '.cleaned'
export const SWAP_FILE_SUFFIX = '.swap'

const SEGMENT_SUFFIXES = [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]
const SCAN_WINDOW_BYTES = 64 * 1024

export interface InterruptedOperations {
  readonly deletedFiles: number
  readonly completedSwaps: number
}

/**
 * Run before a partition directory's segments are listed: removes `.deleted` and `.cleaned` files
 * and completes every `.swap` (LogLoader.removeTempFilesAndCollectSwapFiles + completeSwapOperations).
 */
export async function completeInterruptedOperations(dir: string): Promise<InterruptedOperations> {
  const names = await readdir(dir)
  let deletedFiles = 0
  const swaps: string[] = []
  for (const name of names) {
    if (name.endsWith(DELETED_FILE_SUFFIX) || name.endsWith(CLEANED_FILE_SUFFIX)) {
      await unlinkIfPresent(path.join(dir, name))
      deletedFiles++
    } else if (name.endsWith(SWAP_FILE_SUFFIX)) {
      swaps.push(name)
    }
  }
  let completedSwaps = 0
  for (const name of swaps) {
    const logName = name.slice(0, -SWAP_FILE_SUFFIX.length)
    const baseOffset = parseSegmentFileName(logName, LOG_FILE_SUFFIX)
    if (baseOffset === null) {
      // An index swap (not written by this implementation): rebuilt from the log instead.
      await unlinkIfPresent(path.join(dir, name))
      continue
    }
    const nextOffset = await readNextOffset(path.join(dir, name), baseOffset)
    for (const other of await readdir(dir)) {
      for (const suffix of SEGMENT_SUFFIXES) {
        const otherBase = parseSegmentFileName(other, suffix)
        if (otherBase !== null && otherBase >= baseOffset && otherBase < Math.max(nextOffset, baseOffset + 1)) {
          await unlinkIfPresent(path.join(dir, other))
        }
      }
    }
    await rename(path.join(dir, name), path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX)))
    completedSwaps++
  }
  return { deletedFiles, completedSwaps }
}

/** The offset after the last whole batch of a segment file (its base offset when empty). */
async function readNextOffset(file: string, baseOffset: number): Promise<number> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const window = new FileWindow(handle, size, SCAN_WINDOW_BYTES)
    let position = 0
    let nextOffset = baseOffset
    for (;;) {
      const header = await window.view(position, BATCH_HEADER_SIZE)
      if (header === null) return nextOffset
      const batchSize = readBatchSize(header, 0)
      if (batchSize < BATCH_HEADER_SIZE || position + batchSize > size) return nextOffset
      nextOffset = readLastOffset(header, 0) + 1
      position += batchSize
    }
  } finally {
    await handle.close()
  }
}

export async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** Renames a segment's three files to `<name>.deleted` (missing index files are skipped). */
export async function renameSegmentFilesDeleted(files: readonly string[]): Promise<string[]> {
  const renamed: string[] = []
  for (const file of files) {
    try {
      await rename(file, file + DELETED_FILE_SUFFIX)
      renamed.push(file + DELETED_FILE_SUFFIX)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return renamed
}
