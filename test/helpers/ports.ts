// Fixed ports for tests whose servers cannot report the port they bound, or that must come back
// on the same port after a restart.
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'

/**
 * A port that was free a moment ago, taken below the kernel's ephemeral range: a port from that
 * range (what listen(0) hands out) can meanwhile go to an outgoing connection of a test running
 * alongside, and the server meant for it then fails to bind (ZooKeeper then never serves).
 */
export async function freePort(): Promise<number> {
  const ephemeralStart = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).split(/\s+/)[0])
  const low = 10_000
  const high = Math.max(low + 1000, ephemeralStart) - 1
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low))
    if (await canListen(port)) return port
  }
  throw new Error(`no free port in ${low}-${high}`)
}

async function canListen(port: number): Promise<boolean> {
  const server = createServer()
  const listening = once(server, 'listening').then(() => true, () => false)
  server.listen(port, '127.0.0.1')
  if (!(await listening)) return false
  server.close()
  await once(server, 'close')
  return true
}
