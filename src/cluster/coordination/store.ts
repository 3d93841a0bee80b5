// A versioned, hierarchical key-value store shaped like ZooKeeper, so the single-broker local
// implementation and the ZooKeeper implementation are interchangeable. Every write that changes
// cluster state names the version it expects (conditional write), which is how state changes
// are fenced.

export interface StoredNode {
  readonly data: Buffer
  /** Incremented by every set; starts at 0 like ZooKeeper's dataVersion. */
  readonly version: number
}

export class NodeExistsError extends Error {
  constructor(readonly path: string) { super(`node exists: ${path}`) }
}
export class NoNodeError extends Error {
  constructor(readonly path: string) { super(`no node: ${path}`) }
}
export class BadVersionError extends Error {
  constructor(readonly path: string, readonly expected: number, readonly actual: number) {
    super(`bad version for ${path}: expected ${expected}, found ${actual}`)
  }
}

export interface CoordinationStore {
  get(path: string): Promise<StoredNode | null>
  /** Creates the node (parents are created as empty nodes); NodeExistsError when present. */
  create(path: string, data: Buffer): Promise<void>
  /** Creates several nodes atomically (all or none), like a ZooKeeper multi of creates. */
  createAll(nodes: ReadonlyArray<{ path: string; data: Buffer }>): Promise<void>
  /** Sets data when the node's version equals expectedVersion (-1 matches any); returns the new version. */
  set(path: string, data: Buffer, expectedVersion: number): Promise<number>
  /** Deletes the node and its children when the version matches (-1 matches any). */
  deleteRecursive(path: string, expectedVersion?: number): Promise<void>
  children(path: string): Promise<string[]>
  close(): Promise<void>
}

export function jsonData(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

export function parseJson<T>(node: StoredNode | null): T | null {
  if (node === null || node.data.length === 0) return null
  return JSON.parse(node.data.toString('utf8')) as T
}
