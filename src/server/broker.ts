// Assembles one broker: configuration, log directories, coordination store, controller, replica
// manager, router and listeners. Start-up may use the filesystem freely; after it, nothing on the
// event loop does synchronous I/O. close() is the clean shutdown: stop listening, answer parked
// requests, flush and checkpoint every log, write the clean-shutdown marker.
import { createServer, type Server, type Socket } from 'node:net'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
// Imported, not required, so that the single-file build (scripts/build.mjs) bundles it: loading it
// from node_modules costs ~10 ms more at start-up.
import pino, { type Logger } from 'pino'
import { ConfigManager } from '../cluster/config-manager.js'
import { Controller, type TopicConfigPolicy } from '../cluster/controller.js'
import { LocalCoordinationStore } from '../cluster/coordination/local-store.js'
import { ReplicaManager } from '../cluster/replica-manager.js'
import { loadServerConfig, type ServerConfig, ConfigError } from '../config/server-config.js'
import { validateTopicConfigs } from '../config/topic-config.js'
import { ProducerIdManager } from '../coordinators/producer-id-manager.js'
import { ErrorCode, KafkaError } from '../protocol/errors.js'
import type { LogMaintenance } from '../storage/log-maintenance.js'
import { LogManager } from '../storage/log-manager.js'
import { BufferPool } from '../util/buffer-pool.js'
import { systemClock, type Clock } from '../util/clock.js'
import type { BrokerContext } from './broker-context.js'
import { Connection, type ConnectionLimits } from './connection.js'
import { FetchSessionCache } from './fetch-session-cache.js'
import { FramePool } from './frame-pool.js'
import { Router } from './router.js'

export interface BrokerOptions {
  /** Host of the PLAINTEXT listener; default from `listeners` (127.0.0.1 when unset here). */
  host?: string
  /** Port of the PLAINTEXT listener; 0 picks a free port. */
  port?: number
  logDirs?: string | string[]
  brokerId?: number
  /** Kafka-named properties (server.properties keys), highest precedence. */
  config?: Record<string, string | number | boolean>
  /** Properties file to read first. */
  configFile?: string
  /** A pino logger, or false for silence. Default: warnings and errors on stderr. */
  logger?: Logger | false
  clock?: Clock
}

export interface Broker {
  readonly brokerId: number
  readonly clusterId: string
  readonly host: string
  readonly port: number
  readonly config: ServerConfig
  /** Whether the log directories were recovered after an unclean shutdown. */
  readonly recoveredUncleanShutdown: boolean
  close(): Promise<void>
}

// A connection pauses reading past this many unanswered requests or queued response bytes.
const CONNECTION_IN_FLIGHT_REQUESTS_MAX = 100
const CONNECTION_PENDING_RESPONSE_BYTES_MAX = 16 * 1024 * 1024
// Produce frames joined from several socket chunks reuse these buffers (server/frame-pool.ts): one
// holds a librdkafka request at its default message.max.bytes; 32 bound the pool at 40 MiB.
const FRAME_POOL_BUFFER_BYTES = 1_250_000
const FRAME_POOL_BUFFERS_MAX = 32
// Fetch reads are carved from these slabs (util/buffer-pool.ts): a slab holds three reads at
// librdkafka's default max.partition.fetch.bytes (1 MiB, plus index slack); 16 bound the pool at 64 MiB.
const FETCH_SLAB_BYTES = 4 * 1024 * 1024
const FETCH_SLABS_MAX = 16
// Bound on long-poll fetches parked at once; past it a fetch answers immediately.
const PARKED_FETCHES_MAX = 10_000

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const overrides: Record<string, string | number | boolean> = {}
  if (options.host !== undefined || options.port !== undefined) {
    overrides.listeners = `PLAINTEXT://${options.host ?? '127.0.0.1'}:${options.port ?? 9092}`
  }
  if (options.logDirs !== undefined) overrides['log.dirs'] = [options.logDirs].flat().join(',')
  if (options.brokerId !== undefined) overrides['broker.id'] = options.brokerId
  Object.assign(overrides, options.config ?? {})
  const log = options.logger === false
    ? pino({ enabled: false })
    : options.logger ?? pino({ level: process.env.GREGOR_LOG_LEVEL ?? 'warn' }, pino.destination(2))
  const config = loadServerConfig({
    file: options.configFile, overrides, env: options.configFile === undefined && options.config === undefined ? {} : process.env,
    logger: { warn: (message) => log.warn(message) },
  })
  return BrokerServer.start(config, log, options.clock ?? systemClock)
}

class BrokerServer implements Broker {
  private readonly servers: Server[] = []
  private readonly connections = new Set<Connection>()
  private readonly framePool = new FramePool(FRAME_POOL_BUFFER_BYTES, FRAME_POOL_BUFFERS_MAX)
  private nextConnectionId = 1
  private closing: Promise<void> | null = null
  /** Retention and compaction (storage/log-maintenance.ts); stopped before the logs close. */
  private logMaintenance: LogMaintenance | null = null
  host = ''
  port = 0

  private constructor(
    readonly config: ServerConfig,
    private readonly log: Logger,
    private readonly context: BrokerContext,
    private readonly router: Router,
    private readonly logManager: LogManager,
    private readonly store: LocalCoordinationStore,
    readonly recoveredUncleanShutdown: boolean,
  ) {}

  get brokerId(): number {
    return this.config.brokerId
  }

  get clusterId(): string {
    return this.context.metadata.clusterId
  }

  static async start(config: ServerConfig, log: Logger, clock: Clock): Promise<BrokerServer> {
    const brokerId = config.brokerId
    // Modules needed only once the logs are open (the API handlers and their codecs, the group
    // coordinator, retention and compaction: ~40 ms of loading) load while the logs open.
    const later = Promise.all([
      import('./handlers.js'), import('../coordinators/group/startup.js'), import('../storage/log-maintenance.js'),
    ])
    later.catch(() => undefined) // awaited below; this only keeps an early start-up failure from also reporting it unhandled
    await Promise.all(config.logDirs.map((dir) => mkdir(dir, { recursive: true })))
    const store = await LocalCoordinationStore.open(config.logDirs[0]!)
    const topicOverrides = await Controller.readTopicConfigs(store)
    // Topic log configs resolve through the dynamic broker configs (AlterConfigs) as well.
    const configManager = await ConfigManager.load(store, config, brokerId)
    const logConfigFor = (overrides: Record<string, string>) => configManager.logConfigFor(overrides)
    const logManager = await LogManager.open({
      logDirs: config.logDirs,
      defaultConfig: logConfigFor({}),
      configForTopic: (topic) => logConfigFor(topicOverrides.get(topic) ?? {}),
      nowMs: () => clock.nowMs(),
      flushSchedulerIntervalMs: config.logFlushSchedulerIntervalMs,
      flushOffsetCheckpointIntervalMs: config.logFlushOffsetCheckpointIntervalMs,
      flushStartOffsetCheckpointIntervalMs: config.logFlushStartOffsetCheckpointIntervalMs,
      producerIdExpirationMs: Number(configManager.brokerValue('producer.id.expiration.ms')),
      producerIdExpirationCheckIntervalMs: config.producerIdExpirationCheckIntervalMs,
      logger: log,
    })
    // Only logs that existed can have been recovered: a fresh directory recovers nothing.
    const recoveredUncleanShutdown = [...logManager.allLogs()].some((partitionLog) => !partitionLog.openStats.hadCleanShutdown)
    const [{ HANDLER_SPECS, HANDLERS }, { startGroupCoordinator }, { LogMaintenance }] = await later
    const logMaintenance = await LogMaintenance.start(logManager, {
      retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
      cleanerEnable: config.logCleanerEnable,
      cleanerBackoffMs: config.logCleanerBackoffMs,
      cleanerDedupeBufferBytes: Math.floor(config.logCleanerDedupeBufferSize * config.logCleanerIoBufferLoadFactor),
      cleanerIoBufferBytes: config.logCleanerIoBufferSize,
      nowMs: () => clock.nowMs(),
      logger: log,
    })
    const replicaManager = new ReplicaManager(logManager, brokerId, clock, log, PARKED_FETCHES_MAX)
    const policy: TopicConfigPolicy = {
      validate(configs) {
        try {
          validateTopicConfigs(configs)
        } catch (error) {
          if (error instanceof ConfigError) throw new KafkaError(ErrorCode.INVALID_CONFIG, error.message)
          throw error
        }
      },
      logConfigFor,
    }
    const controller = await Controller.start(store, replicaManager, policy, brokerId, log)
    configManager.onBrokerConfigsChanged(() => controller.reapplyLogConfigs())
    configManager.onBrokerConfigsChanged(() => logManager.setProducerIdExpirationMs(Number(configManager.brokerValue('producer.id.expiration.ms'))))
    await checkMetaProperties(config.logDirs, brokerId, controller.clusterId)
    // Group coordinator: loads an existing __consumer_offsets in the background; a missing one is
    // created on the first FindCoordinator.
    const { groupCoordinator, offsetsTopic } = startGroupCoordinator(config, controller, replicaManager, brokerId, clock, log)
    const router = new Router(HANDLERS, HANDLER_SPECS, log)
    const context: BrokerContext = {
      brokerId, config, clock, controller, metadata: controller.image, replicaManager,
      fetchSessions: new FetchSessionCache(config.maxIncrementalFetchSessionCacheSlots), configManager, logManager,
      fetchBuffers: new BufferPool(FETCH_SLAB_BYTES, FETCH_SLABS_MAX),
      groupCoordinator, offsetsTopic, producerIdManager: new ProducerIdManager(store, brokerId), advertisedApis: router.advertised, log,
    }
    const broker = new BrokerServer(config, log, context, router, logManager, store, recoveredUncleanShutdown)
    broker.logMaintenance = logMaintenance
    await broker.listen()
    log.info({ brokerId, host: broker.host, port: broker.port, clusterId: controller.clusterId }, 'broker started')
    return broker
  }

  private async listen(): Promise<void> {
    const limits: ConnectionLimits = {
      socketRequestMaxBytes: this.config.socketRequestMaxBytes,
      inFlightRequestsMax: Math.min(this.config.queuedMaxRequests, CONNECTION_IN_FLIGHT_REQUESTS_MAX),
      pendingResponseBytesMax: CONNECTION_PENDING_RESPONSE_BYTES_MAX,
      idleTimeoutMs: this.config.connectionsMaxIdleMs,
    }
    const brokers = []
    for (const listener of this.config.listeners) {
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket, limits))
      server.on('error', (error) => this.log.error({ err: error }, 'listener error'))
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen({ host: listener.host === '' ? undefined : listener.host, port: listener.port }, () => {
          server.off('error', reject)
          resolve()
        })
      })
      this.servers.push(server)
      const address = server.address()
      const boundPort = typeof address === 'object' && address !== null ? address.port : listener.port
      const advertised = this.config.advertisedListeners.find((entry) => entry.name === listener.name)
      const host = advertised?.host || listener.host || '127.0.0.1'
      const port = advertised !== undefined && advertised.port !== 0 && advertised.port !== listener.port ? advertised.port : boundPort
      if (this.servers.length === 1) {
        this.host = host
        this.port = port
      }
      if (listener.name === this.config.interBrokerListenerName || brokers.length === 0) {
        brokers.length = 0
        brokers.push({ brokerId: this.brokerId, host, port, rack: this.config.brokerRack ?? null })
      }
    }
    this.context.metadata.brokers = brokers
    this.context.metadata.controllerId = this.brokerId
  }

  private accept(socket: Socket, limits: ConnectionLimits): void {
    if (this.closing !== null) {
      socket.destroy()
      return
    }
    const connection = new Connection(socket, this.nextConnectionId++, this.router, this.context, limits, this.log,
      (closed) => this.connections.delete(closed), this.framePool)
    this.connections.add(connection)
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    this.log.info({ brokerId: this.brokerId }, 'shutting down')
    const stopped = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))
    this.context.replicaManager.shutdown()
    // Parked JoinGroup/SyncGroup get NOT_COORDINATOR before the connections end; no appends after.
    this.context.groupCoordinator.shutdown()
    await this.context.offsetsTopic.close()
    for (const connection of this.connections) connection.end()
    await this.logMaintenance?.stop()
    await this.logManager.shutdown()
    await this.store.close()
    for (const connection of this.connections) connection.close('broker shut down')
    await Promise.all(stopped)
    this.log.info({ brokerId: this.brokerId }, 'shut down cleanly')
  }
}

/** Kafka's meta.properties: a log directory belongs to one cluster and one broker id. */
async function checkMetaProperties(logDirs: readonly string[], brokerId: number, clusterId: string): Promise<void> {
  for (const dir of logDirs) {
    const file = path.join(dir, 'meta.properties')
    let text: string | null = null
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    if (text === null) {
      await writeFile(file, `#${new Date().toString()}\nversion=0\nbroker.id=${brokerId}\ncluster.id=${clusterId}\n`)
      continue
    }
    const values = new Map(text.split('\n').filter((line) => line.includes('=') && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim()] as const))
    if (values.get('broker.id') !== undefined && values.get('broker.id') !== String(brokerId)) {
      throw new ConfigError('GREGOR_INVALID_CONFIG', 'broker.id',
        `Configured broker.id ${brokerId} doesn't match stored broker.id ${values.get('broker.id')} in meta.properties of ${dir}.`)
    }
    if (values.get('cluster.id') !== undefined && values.get('cluster.id') !== clusterId) {
      throw new ConfigError('GREGOR_INVALID_CONFIG', null,
        `The Cluster ID ${clusterId} doesn't match stored clusterId ${values.get('cluster.id')} in meta.properties of ${dir}.`)
    }
  }
}
