// A minimal Kafka-protocol probe: ApiVersions v0, then Metadata for all topics.
// The bench uses it to time broker start-up (spawn to first good Metadata) and
// to see which APIs a broker advertises (consumer groups or not). It is
// written against the wire format directly so that it depends on nothing in
// the project under test.
import { connect } from 'node:net';

const API_VERSIONS = 18;
const METADATA = 3;
const CLIENT_ID = 'gregor-bench';

export interface ProbeResult {
  /** apiKey → [minVersion, maxVersion] as advertised. */
  apis: Map<number, [number, number]>;
  metadataVersion: number;
  brokers: number;
}

function request(apiKey: number, version: number, correlationId: number, body: Buffer): Buffer {
  const id = Buffer.from(CLIENT_ID);
  const header = Buffer.alloc(10 + id.length);
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(id.length, 8);
  id.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}

/** Body of a Metadata request for all topics, in a non-flexible version. */
function metadataBody(version: number): Buffer {
  if (version === 0) return Buffer.from([0, 0, 0, 0]); // empty array = all topics in v0
  const parts = [Buffer.from([0xff, 0xff, 0xff, 0xff])]; // null = all topics
  if (version >= 4) parts.push(Buffer.from([0])); // AllowAutoTopicCreation
  if (version >= 8) parts.push(Buffer.from([0, 0])); // include authorized operations
  return Buffer.concat(parts);
}

function parseApiVersions(body: Buffer): Map<number, [number, number]> {
  const errorCode = body.readInt16BE(0);
  if (errorCode !== 0) throw new Error(`ApiVersions error ${errorCode}`);
  const n = body.readInt32BE(2);
  const apis = new Map<number, [number, number]>();
  for (let i = 0, p = 6; i < n; i++, p += 6) {
    apis.set(body.readInt16BE(p), [body.readInt16BE(p + 2), body.readInt16BE(p + 4)]);
  }
  return apis;
}

/** One attempt: resolves with the result or rejects on any failure. */
export function probeOnce(host: string, port: number, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = Buffer.alloc(0);
    let apis: Map<number, [number, number]> | null = null;
    let metadataVersion = -1;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('probe timed out')), timeoutMs);
    socket.setNoDelay(true);
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
    socket.on('connect', () => socket.write(request(API_VERSIONS, 0, 1, Buffer.alloc(0))));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        try {
          const correlationId = frame.readInt32BE(0);
          const body = frame.subarray(4);
          if (correlationId === 1) {
            apis = parseApiVersions(body);
            const range = apis.get(METADATA);
            if (!range) throw new Error('Metadata not advertised');
            metadataVersion = Math.min(range[1], 8);
            if (metadataVersion < range[0]) throw new Error('no non-flexible Metadata version');
            socket.write(request(METADATA, metadataVersion, 2, metadataBody(metadataVersion)));
          } else if (correlationId === 2 && apis) {
            const brokers = body.readInt32BE(metadataVersion >= 3 ? 4 : 0);
            if (brokers < 1) throw new Error('Metadata lists no brokers');
            clearTimeout(timer);
            socket.removeAllListeners('close');
            socket.destroy();
            resolve({ apis, metadataVersion, brokers });
          } else {
            throw new Error(`unexpected correlation id ${correlationId}`);
          }
        } catch (err) {
          fail(err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
  });
}

/** Retries every retryMs until a probe succeeds or the deadline passes. */
export async function probeUntil(host: string, port: number, deadline: number, retryMs = 2): Promise<ProbeResult> {
  let last: Error = new Error('not tried');
  while (performance.now() < deadline) {
    try {
      return await probeOnce(host, port, Math.max(1, Math.min(1000, deadline - performance.now())));
    } catch (err) {
      last = err instanceof Error ? err : new Error(String(err));
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }
  throw new Error(`broker at ${host}:${port} did not answer Metadata: ${last.message}`);
}
