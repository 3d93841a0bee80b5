// Broker configuration: one table of Kafka-named properties (names, types and defaults as in
// Kafka 3.9, the last release with ZooKeeper mode), the loader for server.properties, and the
// data DescribeConfigs needs. A ServerConfig field is the camelCase of the Kafka name
// (`log.segment.bytes` → `logSegmentBytes`); this table is the only mapping.
//
// Precedence, lowest first: table defaults < properties file < environment variables
// (`GREGOR_<NAME>`, the Kafka name upper-cased with '.' and '-' → '_', e.g. GREGOR_LOG_DIRS;
// only names in the table are read) < explicit overrides (`--override key=value`).
//
// Deviations from Kafka, on purpose:
// - broker.id defaults to 0, not -1: a single broker needs no id generation, and Gregor has none.
//   When only node.id is set it becomes the broker id (as Kafka does in ZooKeeper mode).
// - log.dir defaults to "./data", not /tmp/kafka-logs.
// - an empty listener host binds every interface (as in Kafka), but advertises 127.0.0.1 where
//   Kafka would advertise the canonical host name.
// - offsets.topic.replication.factor and transaction.state.log.replication.factor keep Kafka's
//   default 3. Kafka refuses to create the internal topic while fewer brokers are alive; Gregor's
//   coordinators use min(configured, live brokers) so that a single broker works out of the box.
import { readFileSync } from 'node:fs'
import {
  atLeast,
  between,
  betweenOr,
  ConfigError,
  ConfigSource,
  ConfigTypeCode,
  listOf,
  LONG_MAX_STRING,
  oneOf,
  parseValue,
  type ConfigType,
  type ConfigValue,
  type Importance,
  type UpdateMode,
  type Validator,
} from './config-def.js'
import { parseProperties } from './properties.js'

export * from './config-def.js'
export { parseProperties } from './properties.js'

export interface BrokerConfigDef<N extends string = string, T extends ConfigType = ConfigType, D extends string | null = string | null> {
  readonly name: N
  readonly type: T
  /** Kafka's default in its string form (null when Kafka has none). */
  readonly default: D
  readonly importance: Importance
  readonly updateMode: UpdateMode
  readonly doc: string
  readonly validator: Validator | null
}

function prop<const N extends string, const T extends ConfigType, const D extends string | null>(
  name: N,
  type: T,
  defaultValue: D,
  importance: Importance,
  updateMode: UpdateMode,
  doc: string,
  validator: Validator | null = null,
): BrokerConfigDef<N, T, D> {
  return { name, type, default: defaultValue, importance, updateMode, doc, validator }
}

const INT_MAX = '2147483647'
const LONG_MAX = LONG_MAX_STRING
const DOUBLE_MAX = '1.7976931348623157E308'
const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']
const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']

export const BROKER_CONFIGS = [
  // Identity and coordination
  prop('broker.id', 'int', '0', 'high', 'read-only', 'Id of this broker, unique in the cluster. Kafka defaults to -1 (generated); Gregor to 0.', atLeast(-1)),
  prop('node.id', 'int', '-1', 'high', 'read-only', 'KRaft-style node id; used as broker.id when broker.id is not set.'),
  prop('broker.rack', 'string', null, 'medium', 'read-only', 'Rack of this broker, for rack-aware replica assignment.'),
  prop('zookeeper.connect', 'string', null, 'high', 'read-only', 'ZooKeeper connection string host:port[,host:port...][/chroot]; unset runs a single broker with embedded metadata.'),
  prop('zookeeper.session.timeout.ms', 'int', '18000', 'high', 'read-only', 'ZooKeeper session timeout.'),
  prop('zookeeper.connection.timeout.ms', 'int', null, 'high', 'read-only', 'Longest wait to connect to ZooKeeper; unset uses zookeeper.session.timeout.ms.'),
  prop('zookeeper.max.in.flight.requests', 'int', '10', 'high', 'read-only', 'Unacknowledged ZooKeeper requests allowed before blocking.', atLeast(1)),
  prop('zookeeper.set.acl', 'boolean', 'false', 'high', 'read-only', 'Whether to create znodes with secure ACLs.'),
  prop('controller.socket.timeout.ms', 'int', '30000', 'medium', 'read-only', 'Socket timeout of controller-to-broker channels.'),
  prop('controlled.shutdown.enable', 'boolean', 'true', 'medium', 'read-only', 'Move leadership away before shutting down.'),
  prop('controlled.shutdown.max.retries', 'int', '3', 'medium', 'read-only', 'Attempts of a controlled shutdown before an unclean one.'),
  prop('controlled.shutdown.retry.backoff.ms', 'long', '5000', 'medium', 'read-only', 'Wait between controlled shutdown attempts.'),
  prop('auto.leader.rebalance.enable', 'boolean', 'true', 'high', 'read-only', 'Move leadership back to preferred replicas periodically.'),
  prop('leader.imbalance.per.broker.percentage', 'int', '10', 'high', 'read-only', 'Leader imbalance per broker (percent) that triggers a rebalance.'),
  prop('leader.imbalance.check.interval.seconds', 'long', '300', 'high', 'read-only', 'How often the controller checks leader imbalance.', atLeast(1)),
  prop('background.threads', 'int', '10', 'high', 'cluster-wide', 'Threads for background tasks (accepted; informational in Gregor).', atLeast(1)),
  prop('request.timeout.ms', 'int', '30000', 'high', 'read-only', 'Timeout of requests the broker sends to other brokers.', atLeast(0)),

  // Network
  prop('listeners', 'string', 'PLAINTEXT://:9092', 'high', 'per-broker', 'Comma-separated NAME://host:port to listen on; an empty host binds every interface.'),
  prop('advertised.listeners', 'string', null, 'high', 'per-broker', 'Listeners published to clients; unset uses listeners (empty host → 127.0.0.1).'),
  prop('listener.security.protocol.map', 'string', 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', 'low', 'per-broker', 'Listener name → security protocol.'),
  prop('inter.broker.listener.name', 'string', null, 'medium', 'read-only', 'Listener used between brokers; unset uses the listener named after security.inter.broker.protocol.'),
  prop('security.inter.broker.protocol', 'string', 'PLAINTEXT', 'medium', 'read-only', 'Security protocol between brokers.', oneOf(...SECURITY_PROTOCOLS)),
  prop('socket.send.buffer.bytes', 'int', '102400', 'high', 'read-only', 'SO_SNDBUF of sockets; -1 uses the OS default.'),
  prop('socket.receive.buffer.bytes', 'int', '102400', 'high', 'read-only', 'SO_RCVBUF of sockets; -1 uses the OS default.'),
  prop('socket.request.max.bytes', 'int', '104857600', 'high', 'read-only', 'Largest request frame accepted.', atLeast(1)),
  prop('socket.listen.backlog.size', 'int', '50', 'medium', 'read-only', 'Pending connection backlog of each listener.', atLeast(1)),
  prop('queued.max.requests', 'int', '500', 'high', 'read-only', 'Requests queued per connection before reading pauses.', atLeast(1)),
  prop('queued.max.request.bytes', 'long', '-1', 'medium', 'read-only', 'Bytes of queued requests before reading pauses; -1 is unbounded.'),
  prop('num.network.threads', 'int', '3', 'high', 'cluster-wide', 'Network threads (accepted; informational: Node has one event loop).', atLeast(1)),
  prop('num.io.threads', 'int', '8', 'high', 'cluster-wide', 'Request handler threads (accepted; informational).', atLeast(1)),
  prop('max.connections', 'int', INT_MAX, 'medium', 'cluster-wide', 'Connections allowed to the broker.', atLeast(0)),
  prop('max.connections.per.ip', 'int', INT_MAX, 'medium', 'cluster-wide', 'Connections allowed from one IP address.', atLeast(0)),
  prop('max.connection.creation.rate', 'int', INT_MAX, 'medium', 'cluster-wide', 'New connections allowed per second.', atLeast(0)),
  prop('connections.max.idle.ms', 'long', '600000', 'medium', 'read-only', 'Idle connections are closed after this long.'),
  prop('connection.failed.authentication.delay.ms', 'int', '100', 'low', 'read-only', 'Delay before closing a connection that failed authentication.', atLeast(0)),

  // Logs
  prop('log.dirs', 'string', null, 'high', 'read-only', 'Comma-separated data directories; unset uses log.dir.'),
  prop('log.dir', 'string', './data', 'high', 'read-only', 'Data directory when log.dirs is unset (Kafka: /tmp/kafka-logs).'),
  prop('num.partitions', 'int', '1', 'medium', 'read-only', 'Partitions of an auto-created topic or a CreateTopics without a count.', atLeast(1)),
  prop('default.replication.factor', 'int', '1', 'medium', 'read-only', 'Replication factor of auto-created topics and CreateTopics without one.'),
  prop('auto.create.topics.enable', 'boolean', 'true', 'high', 'read-only', 'Create a topic when Metadata asks for an unknown one.'),
  prop('delete.topic.enable', 'boolean', 'true', 'high', 'read-only', 'Allow DeleteTopics.'),
  prop('log.segment.bytes', 'int', '1073741824', 'high', 'cluster-wide', 'Segment size at which the log rolls.', atLeast(14)),
  prop('log.roll.ms', 'long', null, 'high', 'cluster-wide', 'Age at which the active segment rolls; unset uses log.roll.hours.'),
  prop('log.roll.hours', 'int', '168', 'high', 'read-only', 'Age in hours at which the active segment rolls.', atLeast(1)),
  prop('log.roll.jitter.ms', 'long', null, 'high', 'cluster-wide', 'Random jitter subtracted from the roll time; unset uses log.roll.jitter.hours.'),
  prop('log.roll.jitter.hours', 'int', '0', 'high', 'read-only', 'Roll jitter in hours.', atLeast(0)),
  prop('log.retention.ms', 'long', null, 'high', 'cluster-wide', 'Age after which segments are deleted; -1 keeps them. Unset uses minutes, then hours.'),
  prop('log.retention.minutes', 'int', null, 'high', 'read-only', 'Retention in minutes; unset uses log.retention.hours.'),
  prop('log.retention.hours', 'int', '168', 'high', 'read-only', 'Retention in hours.'),
  prop('log.retention.bytes', 'long', '-1', 'high', 'cluster-wide', 'Partition size above which old segments are deleted; -1 is unbounded.'),
  prop('log.retention.check.interval.ms', 'long', '300000', 'medium', 'read-only', 'How often retention is checked.', atLeast(1)),
  prop('log.cleanup.policy', 'list', 'delete', 'medium', 'cluster-wide', 'delete and/or compact.', listOf('compact', 'delete')),
  prop('log.cleaner.enable', 'boolean', 'true', 'medium', 'read-only', 'Run the log cleaner (needed for compacted topics).'),
  prop('log.cleaner.threads', 'int', '1', 'medium', 'cluster-wide', 'Cleaner threads.', atLeast(0)),
  prop('log.cleaner.io.max.bytes.per.second', 'double', DOUBLE_MAX, 'medium', 'cluster-wide', 'Cleaner I/O throttle.'),
  prop('log.cleaner.dedupe.buffer.size', 'long', '134217728', 'medium', 'cluster-wide', 'Memory for the cleaner offset map, over all cleaner threads.'),
  prop('log.cleaner.io.buffer.size', 'int', '524288', 'medium', 'cluster-wide', 'Cleaner I/O buffer memory, over all cleaner threads.', atLeast(0)),
  prop('log.cleaner.io.buffer.load.factor', 'double', '0.9', 'medium', 'cluster-wide', 'Load factor of the cleaner offset map.'),
  prop('log.cleaner.backoff.ms', 'long', '15000', 'medium', 'cluster-wide', 'Sleep when no log needs cleaning.', atLeast(0)),
  prop('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'medium', 'cluster-wide', 'Dirty ratio above which a log is cleaned.', between(0, 1)),
  prop('log.cleaner.delete.retention.ms', 'long', '86400000', 'medium', 'cluster-wide', 'How long tombstones are kept in compacted topics.', atLeast(0)),
  prop('log.cleaner.min.compaction.lag.ms', 'long', '0', 'medium', 'cluster-wide', 'Minimum age before a record may be compacted.', atLeast(0)),
  prop('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'medium', 'cluster-wide', 'Maximum age before a record must become eligible for compaction.', atLeast(1)),
  prop('log.index.interval.bytes', 'int', '4096', 'medium', 'cluster-wide', 'Bytes between offset index entries.', atLeast(0)),
  prop('log.index.size.max.bytes', 'int', '10485760', 'medium', 'cluster-wide', 'Maximum size of an offset index.', atLeast(4)),
  prop('log.segment.delete.delay.ms', 'long', '60000', 'high', 'cluster-wide', 'Delay before a deleted segment file is removed.', atLeast(0)),
  prop('log.flush.interval.messages', 'long', LONG_MAX, 'high', 'cluster-wide', 'Messages appended before an fsync.', atLeast(1)),
  prop('log.flush.interval.ms', 'long', null, 'high', 'cluster-wide', 'Longest time a message stays unflushed; unset uses log.flush.scheduler.interval.ms.'),
  prop('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'high', 'read-only', 'How often the flusher checks whether a log needs flushing.'),
  prop('log.flush.offset.checkpoint.interval.ms', 'int', '60000', 'high', 'read-only', 'How often the recovery point checkpoint is written.', atLeast(0)),
  prop('log.flush.start.offset.checkpoint.interval.ms', 'int', '60000', 'high', 'read-only', 'How often the log start offset checkpoint is written.', atLeast(0)),
  prop('log.preallocate', 'boolean', 'false', 'medium', 'cluster-wide', 'Preallocate segment files.'),
  prop('log.message.timestamp.type', 'string', 'CreateTime', 'medium', 'cluster-wide', 'CreateTime or LogAppendTime.', oneOf('CreateTime', 'LogAppendTime')),
  prop('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'medium', 'cluster-wide', 'How far in the past a CreateTime timestamp may be.', atLeast(0)),
  prop('log.message.timestamp.after.max.ms', 'long', LONG_MAX, 'medium', 'cluster-wide', 'How far in the future a CreateTime timestamp may be.', atLeast(0)),
  prop('log.message.downconversion.enable', 'boolean', 'true', 'low', 'cluster-wide', 'Down-convert for old fetch versions (Gregor stores only RecordBatch v2).'),
  prop('num.recovery.threads.per.data.dir', 'int', '1', 'high', 'cluster-wide', 'Log recovery concurrency per data directory.', atLeast(1)),
  prop('message.max.bytes', 'int', '1048588', 'high', 'cluster-wide', 'Largest record batch accepted.', atLeast(0)),
  prop('compression.type', 'string', 'producer', 'high', 'cluster-wide', 'Final codec of stored batches; producer keeps the producer\'s.', oneOf(...COMPRESSION_TYPES)),
  prop('compression.gzip.level', 'int', '-1', 'medium', 'cluster-wide', 'gzip level when the broker compresses.', betweenOr(1, 9, -1)),
  prop('compression.lz4.level', 'int', '9', 'medium', 'cluster-wide', 'lz4 level when the broker compresses.', between(1, 17)),
  prop('compression.zstd.level', 'int', '3', 'medium', 'cluster-wide', 'zstd level when the broker compresses.', between(-131072, 22)),

  // Replication
  prop('min.insync.replicas', 'int', '1', 'high', 'cluster-wide', 'In-sync replicas needed to accept acks=all.', atLeast(1)),
  prop('unclean.leader.election.enable', 'boolean', 'false', 'high', 'cluster-wide', 'Allow a replica outside the ISR to become leader.'),
  prop('num.replica.fetchers', 'int', '1', 'high', 'cluster-wide', 'Fetcher connections per source broker.', atLeast(1)),
  prop('replica.fetch.max.bytes', 'int', '1048576', 'medium', 'read-only', 'Bytes fetched per partition by followers.', atLeast(0)),
  prop('replica.fetch.response.max.bytes', 'int', '10485760', 'medium', 'read-only', 'Bytes per follower fetch response.', atLeast(0)),
  prop('replica.fetch.wait.max.ms', 'int', '500', 'medium', 'read-only', 'Follower fetch long-poll time.'),
  prop('replica.fetch.min.bytes', 'int', '1', 'medium', 'read-only', 'Bytes a follower fetch waits for.'),
  prop('replica.fetch.backoff.ms', 'int', '1000', 'medium', 'read-only', 'Sleep after a follower fetch error.', atLeast(0)),
  prop('replica.lag.time.max.ms', 'long', '30000', 'high', 'read-only', 'A follower not caught up for this long leaves the ISR.'),
  prop('replica.socket.timeout.ms', 'int', '30000', 'high', 'read-only', 'Socket timeout of follower fetches.'),
  prop('replica.socket.receive.buffer.bytes', 'int', '65536', 'high', 'read-only', 'SO_RCVBUF of follower fetch sockets.'),
  prop('replica.high.watermark.checkpoint.interval.ms', 'long', '5000', 'high', 'read-only', 'How often high watermarks are checkpointed.'),
  prop('fetch.max.bytes', 'int', '57671680', 'medium', 'read-only', 'Bytes per fetch response.', atLeast(0)),
  // Gregor's own (Kafka has no such limit): why, see server/apis/fetch.ts.
  prop('gregor.fetch.response.max.bytes', 'int', '16777216', 'low', 'read-only', 'Record bytes per fetch response, below fetch.max.bytes.', atLeast(1)),
  prop('fetch.purgatory.purge.interval.requests', 'int', '1000', 'medium', 'read-only', 'Purge interval of the fetch purgatory, in requests.'),
  prop('producer.purgatory.purge.interval.requests', 'int', '1000', 'medium', 'read-only', 'Purge interval of the produce purgatory, in requests.'),
  prop('delete.records.purgatory.purge.interval.requests', 'int', '1', 'medium', 'read-only', 'Purge interval of the delete-records purgatory, in requests.'),
  prop('max.incremental.fetch.session.cache.slots', 'int', '1000', 'medium', 'read-only', 'Incremental fetch sessions kept.', atLeast(0)),

  // Groups and committed offsets
  prop('group.initial.rebalance.delay.ms', 'int', '3000', 'medium', 'read-only', 'Wait for more members before the first rebalance of an empty group.'),
  prop('group.min.session.timeout.ms', 'int', '6000', 'medium', 'read-only', 'Smallest session timeout a member may ask for.'),
  prop('group.max.session.timeout.ms', 'int', '1800000', 'medium', 'read-only', 'Largest session timeout a member may ask for.'),
  prop('group.max.size', 'int', INT_MAX, 'medium', 'read-only', 'Members allowed in one group.', atLeast(1)),
  prop('offsets.topic.num.partitions', 'int', '50', 'high', 'read-only', 'Partitions of __consumer_offsets.', atLeast(1)),
  prop('offsets.topic.replication.factor', 'short', '3', 'high', 'read-only', 'Replication factor of __consumer_offsets (Gregor uses min(this, live brokers)).', atLeast(1)),
  prop('offsets.topic.segment.bytes', 'int', '104857600', 'high', 'read-only', 'Segment size of __consumer_offsets.', atLeast(1)),
  prop('offsets.topic.compression.codec', 'int', '0', 'high', 'read-only', 'Codec of offset commits (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd).', between(0, 4)),
  prop('offsets.load.buffer.size', 'int', '5242880', 'high', 'read-only', 'Read size when loading offsets into the cache.', atLeast(1)),
  prop('offsets.retention.minutes', 'int', '10080', 'high', 'read-only', 'Committed offsets of an empty group expire after this long.', atLeast(1)),
  prop('offsets.retention.check.interval.ms', 'long', '600000', 'high', 'read-only', 'How often stale offsets are checked.', atLeast(1)),
  prop('offsets.commit.timeout.ms', 'int', '5000', 'high', 'read-only', 'Timeout of an offset commit waiting for replication.', atLeast(1)),
  prop('offset.metadata.max.bytes', 'int', '4096', 'high', 'read-only', 'Largest metadata string of an offset commit.'),

  // Transactions and producer ids
  prop('transaction.state.log.num.partitions', 'int', '50', 'high', 'read-only', 'Partitions of __transaction_state.', atLeast(1)),
  prop('transaction.state.log.replication.factor', 'short', '3', 'high', 'read-only', 'Replication factor of __transaction_state (Gregor uses min(this, live brokers)).', atLeast(1)),
  prop('transaction.state.log.min.isr', 'int', '2', 'high', 'read-only', 'min.insync.replicas of __transaction_state.', atLeast(1)),
  prop('transaction.state.log.segment.bytes', 'int', '104857600', 'high', 'read-only', 'Segment size of __transaction_state.', atLeast(1)),
  prop('transaction.state.log.load.buffer.size', 'int', '5242880', 'high', 'read-only', 'Read size when loading transaction state.', atLeast(1)),
  prop('transaction.max.timeout.ms', 'int', '900000', 'high', 'read-only', 'Largest transaction timeout a producer may ask for.', atLeast(1)),
  prop('transactional.id.expiration.ms', 'int', '604800000', 'high', 'read-only', 'Idle transactional ids expire after this long.', atLeast(1)),
  prop('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', 'low', 'read-only', 'How often timed-out transactions are aborted.', atLeast(1)),
  prop('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', 'low', 'read-only', 'How often expired transactional ids are removed.', atLeast(1)),
  prop('producer.id.expiration.ms', 'int', '86400000', 'low', 'cluster-wide', 'Idle producer ids expire from a partition after this long.', atLeast(1)),
  prop('producer.id.expiration.check.interval.ms', 'int', '600000', 'low', 'read-only', 'How often producer id expiry runs.', atLeast(1)),

  // Security and plug-ins (accepted; Gregor serves PLAINTEXT only for now)
  prop('sasl.enabled.mechanisms', 'list', 'GSSAPI', 'medium', 'per-broker', 'SASL mechanisms enabled.'),
  prop('ssl.keystore.location', 'string', null, 'high', 'per-broker', 'Key store file.'),
  prop('ssl.keystore.password', 'password', null, 'high', 'per-broker', 'Key store password.'),
  prop('ssl.key.password', 'password', null, 'high', 'per-broker', 'Private key password.'),
  prop('authorizer.class.name', 'string', '', 'low', 'read-only', 'Authorizer class; empty disables authorization.'),
  prop('create.topic.policy.class.name', 'class', null, 'low', 'read-only', 'CreateTopics policy class.'),
  prop('alter.config.policy.class.name', 'class', null, 'low', 'read-only', 'AlterConfigs policy class.'),
  prop('metric.reporters', 'list', '', 'low', 'cluster-wide', 'Metric reporter classes.'),
] as const

type BrokerConfigs = (typeof BROKER_CONFIGS)[number]
export type BrokerConfigName = BrokerConfigs['name']

type CamelCase<S extends string> = S extends `${infer Head}.${infer Rest}` ? `${Head}${Capitalize<CamelCase<Rest>>}` : S
type TypedValue<T extends ConfigType> = T extends 'int' | 'short' | 'long' | 'double'
  ? number
  : T extends 'boolean'
    ? boolean
    : T extends 'list'
      ? string[]
      : string
type ValueOf<D extends BrokerConfigDef> = TypedValue<D['type']> | (null extends D['default'] ? null : never)

/** Every table property as parsed, before derived values are resolved. */
export type RawServerConfig = { readonly [D in BrokerConfigs as CamelCase<D['name']>]: ValueOf<D> }

export interface ListenerConfig {
  /** Listener name, upper-cased as Kafka normalises it. */
  readonly name: string
  /** '' binds every interface (Kafka's meaning). */
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  readonly securityProtocol: string
}

type DerivedKeys =
  | 'brokerId'
  | 'logDirs'
  | 'listeners'
  | 'advertisedListeners'
  | 'listenerSecurityProtocolMap'
  | 'interBrokerListenerName'
  | 'logRollMs'
  | 'logRollJitterMs'
  | 'logRetentionMs'
  | 'logFlushIntervalMs'
  | 'zookeeperConnectionTimeoutMs'

export interface ServerConfig extends Omit<RawServerConfig, DerivedKeys> {
  /** broker.id, or node.id when only that is set. */
  readonly brokerId: number
  /** log.dirs split on commas, or [log.dir]. */
  readonly logDirs: string[]
  readonly listeners: ListenerConfig[]
  /** advertised.listeners, or listeners with an empty host replaced by 127.0.0.1. */
  readonly advertisedListeners: ListenerConfig[]
  readonly listenerSecurityProtocolMap: Readonly<Record<string, string>>
  /** inter.broker.listener.name, or the listener named after security.inter.broker.protocol. */
  readonly interBrokerListenerName: string
  /** log.roll.ms, or log.roll.hours × 3600000. */
  readonly logRollMs: number
  readonly logRollJitterMs: number
  /** log.retention.ms, else minutes, else hours; any negative value is -1 (unlimited). */
  readonly logRetentionMs: number
  /** log.flush.interval.ms, or log.flush.scheduler.interval.ms. */
  readonly logFlushIntervalMs: number
  readonly zookeeperConnectionTimeoutMs: number
  /** Every property that was set explicitly (file, environment, overrides), unknown ones included. */
  readonly originals: ReadonlyMap<string, string>
}

export interface ConfigLogger {
  warn(message: string): void
}

export interface LoadServerConfigOptions {
  /** Path of a Java .properties file (server.properties). */
  file?: string
  /** Highest precedence (`--override`, BrokerOptions.config). */
  overrides?: Readonly<Record<string, string | number | boolean>>
  /** Defaults to process.env; pass {} to ignore the environment. */
  env?: NodeJS.ProcessEnv
  /** Defaults to a line on stderr. */
  logger?: ConfigLogger
}

const brokerDefs: ReadonlyMap<string, BrokerConfigDef> = new Map(BROKER_CONFIGS.map((d) => [d.name, d]))

export function brokerConfigDef(name: string): BrokerConfigDef | undefined {
  return brokerDefs.get(name)
}

export function camelCaseOf(name: string): string {
  return name.replace(/[.-]([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

export function envNameOf(name: string): string {
  return `GREGOR_${name.toUpperCase().replace(/[.-]/g, '_')}`
}

const stderrLogger: ConfigLogger = { warn: (message) => process.stderr.write(`WARN ${message}\n`) }

/** Loads and validates the broker configuration. Throws ConfigError. Reads the file synchronously (start-up only). */
export function loadServerConfig(options: LoadServerConfigOptions = {}): ServerConfig {
  const logger = options.logger ?? stderrLogger
  const originals = new Map<string, string>()
  if (options.file !== undefined) {
    let text: string
    try {
      text = readFileSync(options.file, 'utf8')
    } catch (error) {
      throw new ConfigError('GREGOR_CONFIG_FILE', null, `Cannot read config file ${options.file}: ${(error as Error).message}`)
    }
    for (const [key, value] of parseProperties(text)) originals.set(key, value)
  }
  const env = options.env ?? process.env
  for (const def of BROKER_CONFIGS) {
    const value = env[envNameOf(def.name)]
    if (value !== undefined) originals.set(def.name, value)
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) originals.set(key, String(value))

  for (const key of originals.keys()) {
    if (!brokerDefs.has(key)) logger.warn(`The configuration '${key}' was supplied but isn't a known config.`)
  }
  return buildServerConfig(originals)
}

/** Builds a ServerConfig from explicitly set properties (unknown keys are kept, not checked). */
export function buildServerConfig(originals: ReadonlyMap<string, string>): ServerConfig {
  const raw: Record<string, ConfigValue> = {}
  for (const def of BROKER_CONFIGS) {
    const text = originals.get(def.name) ?? def.default
    raw[camelCaseOf(def.name)] = text === null ? null : parseChecked(def, text)
  }
  const r = raw as unknown as RawServerConfig

  const brokerId = resolveBrokerId(r, originals)
  const logDirs = (r.logDirs ?? r.logDir).split(',').map((d) => d.trim()).filter((d) => d !== '')
  if (logDirs.length === 0) throw invalid(r.logDirs === null ? 'log.dir' : 'log.dirs', 'At least one log directory is required')

  const protocolMap = parseSecurityProtocolMap(r.listenerSecurityProtocolMap)
  const listeners = parseListeners('listeners', r.listeners, protocolMap)
  const advertisedListeners =
    r.advertisedListeners === null
      ? listeners.map((l) => (l.host === '' ? { ...l, host: '127.0.0.1' } : l))
      : parseListeners('advertised.listeners', r.advertisedListeners, protocolMap)
  checkAdvertisedListeners(listeners, advertisedListeners)
  const interBrokerListenerName = (r.interBrokerListenerName ?? r.securityInterBrokerProtocol).toUpperCase()
  if (!advertisedListeners.some((l) => l.name === interBrokerListenerName)) {
    throw invalid(
      r.interBrokerListenerName === null ? 'security.inter.broker.protocol' : 'inter.broker.listener.name',
      `inter.broker.listener.name must be a listener name defined in advertised.listeners; ${interBrokerListenerName} is not`,
    )
  }

  const logRetentionMs = r.logRetentionMs ?? (r.logRetentionMinutes !== null ? r.logRetentionMinutes * 60_000 : r.logRetentionHours * 3_600_000)
  return {
    ...r,
    brokerId,
    logDirs,
    listeners,
    advertisedListeners,
    listenerSecurityProtocolMap: protocolMap,
    interBrokerListenerName,
    logRollMs: r.logRollMs ?? r.logRollHours * 3_600_000,
    logRollJitterMs: r.logRollJitterMs ?? r.logRollJitterHours * 3_600_000,
    logRetentionMs: logRetentionMs < 0 ? -1 : logRetentionMs,
    logFlushIntervalMs: r.logFlushIntervalMs ?? r.logFlushSchedulerIntervalMs,
    zookeeperConnectionTimeoutMs: r.zookeeperConnectionTimeoutMs ?? r.zookeeperSessionTimeoutMs,
    originals,
  }
}

/** Parses and validates one broker property, for AlterConfigs. Throws ConfigError. */
export function parseBrokerConfigValue(name: string, value: string): ConfigValue {
  const def = brokerDefs.get(name)
  if (def === undefined) throw new ConfigError('GREGOR_UNKNOWN_CONFIG', name, `Unknown broker config name: ${name}`)
  return parseChecked(def, value)
}

export function parseChecked(def: { name: string; type: ConfigType; validator: Validator | null }, text: string): ConfigValue {
  const value = parseValue(def.name, def.type, text)
  const why = def.validator?.check(value) ?? null
  if (why !== null) throw invalid(def.name, why, def.type === 'password' ? '[hidden]' : text)
  return value
}

function invalid(key: string, why: string, value?: string): ConfigError {
  const shown = value === undefined ? '' : ` ${value}`
  return new ConfigError('GREGOR_INVALID_CONFIG', key, `Invalid value${shown} for configuration ${key}: ${why}`)
}

function resolveBrokerId(r: RawServerConfig, originals: ReadonlyMap<string, string>): number {
  const isBrokerIdSet = originals.has('broker.id')
  if (isBrokerIdSet && r.nodeId >= 0 && r.nodeId !== r.brokerId) {
    throw invalid('node.id', `node.id (${r.nodeId}) and broker.id (${r.brokerId}) must match when both are set`)
  }
  const brokerId = isBrokerIdSet ? r.brokerId : r.nodeId >= 0 ? r.nodeId : r.brokerId
  if (brokerId < 0) throw invalid('broker.id', 'Gregor does not generate broker ids; set broker.id to 0 or more', String(brokerId))
  return brokerId
}

function parseSecurityProtocolMap(text: string): Record<string, string> {
  const map: Record<string, string> = {}
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const colon = entry.indexOf(':')
    const name = entry.slice(0, colon).trim().toUpperCase()
    const protocol = entry.slice(colon + 1).trim().toUpperCase()
    if (colon <= 0 || !SECURITY_PROTOCOLS.includes(protocol)) {
      throw invalid('listener.security.protocol.map', `Entry '${entry}' is not LISTENER_NAME:${SECURITY_PROTOCOLS.join('|')}`, text)
    }
    map[name] = protocol
  }
  return map
}

// NAME://host:port, NAME://[ipv6]:port or NAME://:port; as Kafka's EndPoint.createEndPoint.
const LISTENER = /^([A-Za-z0-9_-]+):\/\/(?:\[([0-9a-fA-F:.%]+)\]|([0-9a-zA-Z\-%._]*)):(\d+)$/

function parseListeners(key: string, text: string, protocolMap: Readonly<Record<string, string>>): ListenerConfig[] {
  const listeners: ListenerConfig[] = []
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
    const match = LISTENER.exec(entry)
    if (match === null) throw invalid(key, `Unable to parse ${entry} to a broker endpoint`, text)
    const name = match[1]!.toUpperCase()
    const host = match[2] ?? match[3] ?? ''
    const port = Number(match[4])
    if (port > 65535) throw invalid(key, `Port ${port} of ${entry} is out of range`, text)
    const securityProtocol = protocolMap[name]
    if (securityProtocol === undefined) {
      throw invalid(key, `No security protocol defined for listener ${name} in listener.security.protocol.map`, text)
    }
    if (listeners.some((l) => l.name === name)) throw invalid(key, `Each listener must have a different name; ${name} repeats`, text)
    if (port !== 0 && listeners.some((l) => l.port === port && l.host === host)) {
      throw invalid(key, `Each listener must have a different port; ${port} repeats`, text)
    }
    listeners.push({ name, host, port, securityProtocol })
  }
  if (listeners.length === 0) throw invalid(key, 'At least one listener is required', text)
  return listeners
}

function checkAdvertisedListeners(listeners: ListenerConfig[], advertised: ListenerConfig[]): void {
  for (const l of advertised) {
    if (l.host === '0.0.0.0' || l.host === '::') {
      throw invalid('advertised.listeners', `advertised.listeners cannot use the nonroutable meta-address ${l.host}; use a routable IP address`)
    }
    if (!listeners.some((x) => x.name === l.name)) {
      throw invalid('advertised.listeners', `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners; ${l.name} is not`)
    }
  }
}

// --- DescribeConfigs -------------------------------------------------------------------------

export interface ConfigSynonym {
  readonly name: string
  readonly value: string | null
  readonly source: ConfigSource
}

export interface DescribedConfig {
  readonly name: string
  /** null for sensitive (password) values and for unset properties. */
  readonly value: string | null
  readonly source: ConfigSource
  readonly isReadOnly: boolean
  readonly isSensitive: boolean
  /** DescribeConfigs ConfigType code. */
  readonly configType: number
  readonly documentation: string
  /** Where the value could come from, highest precedence first, as Kafka lists them. */
  readonly synonyms: ConfigSynonym[]
}

/** Dynamic broker configs layered on top of the static ones (stored by the coordination store). */
export interface DynamicBrokerConfigs {
  /** DYNAMIC_BROKER_CONFIG: set for this broker id. */
  readonly perBroker?: Readonly<Record<string, string>>
  /** DYNAMIC_DEFAULT_BROKER_CONFIG: the cluster-wide default. */
  readonly clusterDefault?: Readonly<Record<string, string>>
}

/** Broker properties whose unset value falls back to another, highest precedence first. */
export const BROKER_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'log.dirs': ['log.dirs', 'log.dir'],
  'log.roll.ms': ['log.roll.ms', 'log.roll.hours'],
  'log.roll.jitter.ms': ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  'log.retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'log.flush.interval.ms': ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
}

/** The value layers of one broker property, highest precedence first. */
export function brokerValueLayers(name: string, config: ServerConfig, dynamic: DynamicBrokerConfigs = {}): ConfigSynonym[] {
  const def = brokerDefs.get(name)
  const layers: ConfigSynonym[] = []
  if (def === undefined) return layers
  if (def.updateMode !== 'read-only') {
    const perBroker = dynamic.perBroker?.[name]
    if (perBroker !== undefined) layers.push({ name, value: perBroker, source: ConfigSource.DYNAMIC_BROKER_CONFIG })
    const clusterDefault = dynamic.clusterDefault?.[name]
    if (clusterDefault !== undefined) layers.push({ name, value: clusterDefault, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG })
  }
  const staticValue = config.originals.get(name)
  if (staticValue !== undefined) layers.push({ name, value: staticValue, source: ConfigSource.STATIC_BROKER_CONFIG })
  if (def.default !== null) layers.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG })
  return layers
}

/** Every broker property (or the named ones; unknown names are skipped), as DescribeConfigs answers. */
export function describeBrokerConfigs(
  config: ServerConfig,
  options: { names?: readonly string[] | null; dynamic?: DynamicBrokerConfigs } = {},
): DescribedConfig[] {
  const names = options.names ?? BROKER_CONFIGS.map((d) => d.name)
  const described: DescribedConfig[] = []
  for (const name of names) {
    const def = brokerDefs.get(name)
    if (def === undefined) continue
    const isSensitive = def.type === 'password'
    const hide = (s: ConfigSynonym): ConfigSynonym => (isSensitive ? { ...s, value: null } : s)
    const synonyms = (BROKER_SYNONYMS[name] ?? [name]).flatMap((n) => brokerValueLayers(n, config, options.dynamic))
    const own = brokerValueLayers(name, config, options.dynamic)[0]
    described.push({
      name,
      value: isSensitive ? null : (own?.value ?? null),
      source: own?.source ?? ConfigSource.DEFAULT_CONFIG,
      isReadOnly: def.updateMode === 'read-only',
      isSensitive,
      configType: ConfigTypeCode[def.type],
      documentation: def.doc,
      synonyms: synonyms.map(hide),
    })
  }
  return described
}

/** The effective value of a broker property in its exact string form (Long.MAX_VALUE intact). */
export function brokerValueString(name: string, config: ServerConfig, dynamic?: DynamicBrokerConfigs): string | null {
  return brokerValueLayers(name, config, dynamic)[0]?.value ?? null
}
