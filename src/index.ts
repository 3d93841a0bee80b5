// Gregor's public API: start a broker in-process.
export { startBroker, type Broker, type BrokerOptions } from './server/broker.js'
export { loadServerConfig, type ServerConfig } from './config/server-config.js'
export { ErrorCode, KafkaError } from './protocol/errors.js'
