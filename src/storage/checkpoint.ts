// Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint,
// replication-offset-checkpoint), in Kafka's text format so the files read the same:
//
//   0                       version
//   2                       number of entries
//   my-topic 0 1234         topic, partition, offset
//   my-topic 1 99
//
// Written atomically: a `.tmp` sibling is written and fsynced, renamed over the file, and the
// directory fsynced, so a crash leaves either the old or the new file, never a mix.
import { open, readFile, rename } from 'node:fs/promises'
import path from 'node:path'

const CURRENT_VERSION = 0

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly offset: number
}

export class CheckpointError extends Error {
  readonly code = 'GREGOR_CHECKPOINT_CORRUPT'

  constructor(file: string, detail: string) {
    super(`malformed checkpoint file ${file}: ${detail}`)
    this.name = 'CheckpointError'
  }
}

export async function writeCheckpoint(file: string, entries: readonly TopicPartitionOffset[]): Promise<void> {
  const lines = [String(CURRENT_VERSION), String(entries.length)]
  for (const entry of entries) lines.push(`${entry.topic} ${entry.partition} ${entry.offset}`)
  const temporary = `${file}.tmp`
  const handle = await open(temporary, 'w')
  try {
    await handle.writeFile(lines.join('\n') + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, file)
  await syncDirectory(path.dirname(file))
}

/** The entries of `file`; [] when it does not exist. Throws CheckpointError when malformed. */
export async function readCheckpoint(file: string): Promise<TopicPartitionOffset[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  if (lines[0] !== String(CURRENT_VERSION)) throw new CheckpointError(file, `unrecognised version ${JSON.stringify(lines[0])}`)
  const count = Number(lines[1])
  if (lines[1] === undefined || !/^\d+$/.test(lines[1]) || !Number.isSafeInteger(count)) throw new CheckpointError(file, 'bad entry count')
  if (lines.length - 2 !== count) throw new CheckpointError(file, `expected ${count} entries but found ${lines.length - 2}`)
  const entries: TopicPartitionOffset[] = []
  for (const line of lines.slice(2)) {
    const parts = line.split(' ')
    const [topic, partitionText, offsetText] = parts
    if (parts.length !== 3 || topic === '' || !/^\d+$/.test(partitionText!) || !/^-?\d+$/.test(offsetText!)) {
      throw new CheckpointError(file, `malformed line ${JSON.stringify(line)}`)
    }
    const offset = Number(offsetText)
    if (!Number.isSafeInteger(offset)) throw new CheckpointError(file, `offset out of range in ${JSON.stringify(line)}`)
    entries.push({ topic: topic!, partition: Number(partitionText), offset })
  }
  return entries
}

/** fsync of a directory, so a rename or a new file in it survives a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
