// The single-broker coordination store: the znode tree lives in memory and is persisted, whole,
// to one JSON file in the first log directory after every change (write tmp → fsync → rename →
// fsync dir), so an acknowledged metadata change survives kill -9. Writes are serialised; a
// failed persist leaves the in-memory change in place but rejects the caller, which answers
// the client with an error.
import { open, readFile, rename, mkdir } from 'node:fs/promises'
import path from 'node:path'
import {
  BadVersionError, NodeExistsError, NoNodeError,
  type CoordinationStore, type StoredNode,
} from './store.js'

interface FileFormat {
  version: 1
  nodes: Record<string, { data: string; version: number }>
}

export const LOCAL_METADATA_FILE = 'gregor-metadata.json'

export class LocalCoordinationStore implements CoordinationStore {
  private readonly nodes = new Map<string, StoredNode>()
  private persistChain: Promise<void> = Promise.resolve()

  private constructor(private readonly directory: string) {}

  static async open(directory: string): Promise<LocalCoordinationStore> {
    await mkdir(directory, { recursive: true })
    const store = new LocalCoordinationStore(directory)
    let text: string | null = null
    try {
      text = await readFile(path.join(directory, LOCAL_METADATA_FILE), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    if (text !== null) {
      const parsed = JSON.parse(text) as FileFormat
      for (const [nodePath, node] of Object.entries(parsed.nodes)) {
        store.nodes.set(nodePath, { data: Buffer.from(node.data, 'base64'), version: node.version })
      }
    }
    return store
  }

  async get(nodePath: string): Promise<StoredNode | null> {
    return this.nodes.get(normalise(nodePath)) ?? null
  }

  async create(nodePath: string, data: Buffer): Promise<void> {
    await this.createAll([{ path: nodePath, data }])
  }

  async createAll(nodes: ReadonlyArray<{ path: string; data: Buffer }>): Promise<void> {
    const keys = nodes.map((node) => normalise(node.path))
    for (const key of keys) if (this.nodes.has(key)) throw new NodeExistsError(key)
    if (new Set(keys).size !== keys.length) throw new NodeExistsError(keys.find((key, index) => keys.indexOf(key) !== index)!)
    nodes.forEach((node, index) => {
      const key = keys[index]!
      for (const parent of parentsOf(key)) {
        if (!this.nodes.has(parent)) this.nodes.set(parent, { data: Buffer.alloc(0), version: 0 })
      }
      this.nodes.set(key, { data: node.data, version: 0 })
    })
    await this.persist()
  }

  async set(nodePath: string, data: Buffer, expectedVersion: number): Promise<number> {
    const key = normalise(nodePath)
    const current = this.nodes.get(key)
    if (current === undefined) throw new NoNodeError(key)
    if (expectedVersion !== -1 && current.version !== expectedVersion) {
      throw new BadVersionError(key, expectedVersion, current.version)
    }
    const version = current.version + 1
    this.nodes.set(key, { data, version })
    await this.persist()
    return version
  }

  async deleteRecursive(nodePath: string, expectedVersion = -1): Promise<void> {
    const key = normalise(nodePath)
    const current = this.nodes.get(key)
    if (current === undefined) throw new NoNodeError(key)
    if (expectedVersion !== -1 && current.version !== expectedVersion) {
      throw new BadVersionError(key, expectedVersion, current.version)
    }
    const prefix = key + '/'
    for (const candidate of [...this.nodes.keys()]) {
      if (candidate === key || candidate.startsWith(prefix)) this.nodes.delete(candidate)
    }
    await this.persist()
  }

  async children(nodePath: string): Promise<string[]> {
    const key = normalise(nodePath)
    const prefix = key === '/' ? '/' : key + '/'
    const names: string[] = []
    for (const candidate of this.nodes.keys()) {
      if (!candidate.startsWith(prefix)) continue
      const rest = candidate.slice(prefix.length)
      if (rest.length > 0 && !rest.includes('/')) names.push(rest)
    }
    return names.sort()
  }

  async close(): Promise<void> {
    await this.persistChain
  }

  private persist(): Promise<void> {
    const snapshot = this.serialise()
    const next = this.persistChain.then(() => writeAtomically(this.directory, snapshot))
    // A failed write must not poison later writes; each caller sees its own outcome.
    this.persistChain = next.catch(() => undefined)
    return next
  }

  private serialise(): string {
    const file: FileFormat = { version: 1, nodes: {} }
    for (const [key, node] of this.nodes) {
      file.nodes[key] = { data: node.data.toString('base64'), version: node.version }
    }
    return JSON.stringify(file)
  }
}

async function writeAtomically(directory: string, text: string): Promise<void> {
  const target = path.join(directory, LOCAL_METADATA_FILE)
  const temporary = target + '.tmp'
  const handle = await open(temporary, 'w')
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temporary, target)
  const directoryHandle = await open(directory, 'r')
  try {
    await directoryHandle.sync()
  } finally {
    await directoryHandle.close()
  }
}

function normalise(nodePath: string): string {
  if (!nodePath.startsWith('/')) throw new Error(`node path must be absolute: ${nodePath}`)
  return nodePath.length > 1 && nodePath.endsWith('/') ? nodePath.slice(0, -1) : nodePath
}

function parentsOf(key: string): string[] {
  const parts = key.split('/').filter((part) => part.length > 0)
  const parents: string[] = []
  for (let index = 1; index < parts.length; index++) parents.push('/' + parts.slice(0, index).join('/'))
  return parents
}
