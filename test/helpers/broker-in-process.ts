// A Gregor broker inside the test process (the public startBroker API), for tests that do not need
// process-level behaviour. Cheaper than a process; stop it with close() in an after() hook.
import { startBroker } from '../../src/index.js'
import { tmpDir } from './tmp-dir.js'

export interface InProcessBrokerOptions {
  /** Broker properties by Kafka name (`num.partitions`, `auto.create.topics.enable`, ...). */
  config?: Record<string, string | number | boolean>
  logDirs?: string | string[]
  brokerId?: number
}

export interface InProcessBroker {
  readonly brokerId: number
  readonly host: string
  readonly port: number
  readonly bootstrap: string
  readonly logDirs: string[]
  /** Whether start-up recovered the logs (no clean-shutdown marker in some log dir). */
  readonly recoveredUncleanShutdown: boolean
  close(): Promise<void>
}

export async function startInProcessBroker(options: InProcessBrokerOptions = {}): Promise<InProcessBroker> {
  const logDirs =
    options.logDirs === undefined
      ? [tmpDir('gregor-logs-').path]
      : Array.isArray(options.logDirs)
        ? options.logDirs
        : [options.logDirs]
  const broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    logDirs,
    ...(options.brokerId === undefined ? {} : { brokerId: options.brokerId }),
    ...(options.config === undefined ? {} : { config: options.config }),
  })
  return {
    brokerId: broker.brokerId,
    host: broker.host,
    port: broker.port,
    bootstrap: `${broker.host}:${broker.port}`,
    logDirs,
    recoveredUncleanShutdown: broker.recoveredUncleanShutdown,
    close: () => broker.close(),
  }
}
