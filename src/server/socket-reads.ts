// Reads of an accepted socket into buffers the connection chooses (Node's `onread` mode) instead of
// a fresh Buffer per read pushed through the stream.
//
// Why: by default every socket read (up to 64 KiB) is a new Buffer, external memory that V8 only
// reclaims with a GC; at ~200 MB/s of produce traffic that external memory triggered a full
// mark-compact every ~30 MB (the largest item of the broker's CPU after the page-cache copy), and
// each read then had to be copied again into the request frame. In `onread` mode the kernel copies
// into the connection's own read buffer or straight into the frame being assembled.
//
// Node offers `onread` for net.connect() and `new net.Socket()` only, not for net.Server's sockets;
// this sets the same three socket fields that option sets (found by their symbol descriptions) and
// switches the handle the way Node's initSocketHandle does. It must run in the tick the socket is
// accepted, before its first read. When a Node version lacks those fields it returns false and the
// caller reads 'data' events. pause()/resume() keep working (Node handles both modes).
import type { Socket } from 'node:net'

interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void
}

/**
 * Sends every read of `socket` into the buffer `nextBuffer` returns (asked again after each read),
 * then calls `onRead` with the number of bytes that landed at its start. Returns false, changing
 * nothing, when this Node's sockets do not have the fields `onread` mode uses.
 */
export function readIntoChosenBuffers(socket: Socket, nextBuffer: () => Buffer, onRead: (byteCount: number) => void): boolean {
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== 'function') return false
  const fields = socketSymbols(socket)
  const kBuffer = fields.get('kBuffer')
  const kBufferCb = fields.get('kBufferCb')
  const kBufferGen = fields.get('kBufferGen')
  if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined) return false
  const slots = socket as unknown as Record<symbol, unknown>
  // Already in onread mode, or Node changed what these hold: leave the socket alone.
  if (slots[kBuffer] !== null || slots[kBufferCb] !== null || slots[kBufferGen] !== null) return false
  const first = nextBuffer()
  slots[kBuffer] = first
  slots[kBufferGen] = nextBuffer
  slots[kBufferCb] = (byteCount: number) => {
    onRead(byteCount)
  }
  handle.useUserBuffer(first)
  return true
}

function socketSymbols(socket: Socket): Map<string, symbol> {
  const byName = new Map<string, symbol>()
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    if (symbol.description !== undefined) byName.set(symbol.description, symbol)
  }
  return byName
}
