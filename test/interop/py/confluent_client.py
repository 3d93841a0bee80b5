"""confluent-kafka (librdkafka 2.0.2) driven by the interop and crash tests.

Usage: /usr/bin/python3 confluent_client.py <command>  with a JSON object on stdin.
Prints one JSON document on stdout (produce_forever: one line per acknowledged record).
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic


def text(raw):
    return None if raw is None else raw.decode('utf-8')


def produce(args):
    producer = Producer({
        'bootstrap.servers': args['bootstrap'],
        'acks': str(args.get('acks', 1)),
        'linger.ms': 5,
        'enable.idempotence': False,
        'message.timeout.ms': 20000,
    })
    acked = [None] * len(args['records'])
    errors = []

    def on_delivery(index):
        def done(err, msg):
            if err is not None:
                errors.append('record %d: %s' % (index, err))
            else:
                acked[index] = {'partition': msg.partition(), 'offset': msg.offset()}
        return done

    for index, record in enumerate(args['records']):
        options = {'partition': record['partition']} if record.get('partition') is not None else {}
        if record.get('timestamp') is not None:
            options['timestamp'] = record['timestamp']
        producer.produce(
            args['topic'],
            key=None if record.get('key') is None else record['key'].encode(),
            value=None if record.get('value') is None else record['value'].encode(),
            headers=[(k, v.encode()) for k, v in record.get('headers', [])],
            on_delivery=on_delivery(index),
            **options,
        )
    remaining = producer.flush(30)
    if remaining or errors:
        raise SystemExit('delivery failed: %d undelivered, errors %s' % (remaining, errors))
    return acked


def new_consumer(args):
    # librdkafka's consumer needs a group.id, but assign() with explicit offsets never joins the
    # group or reads committed offsets; auto-commit is off so nothing is sent to a coordinator.
    return Consumer({
        'bootstrap.servers': args['bootstrap'],
        'group.id': 'gregor-interop-unused',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': args.get('auto_offset_reset', 'earliest'),
    })


def consume(args):
    """Assigns partitions at `offset` (default: beginning) and reads until EOF on all of them."""
    consumer = new_consumer(args)
    offset = args.get('offset', OFFSET_BEGINNING)
    consumer.assign([TopicPartition(args['topic'], p, offset) for p in args['partitions']])
    at_eof = set()
    records = []
    deadline = time.time() + args.get('timeout_s', 20)
    while len(at_eof) < len(args['partitions']):
        if time.time() > deadline:
            raise SystemExit('timed out; EOF on %s, %d records read' % (sorted(at_eof), len(records)))
        for msg in consumer.consume(num_messages=1000, timeout=0.5):
            if msg.error() is not None:
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_eof.add(msg.partition())
                    continue
                raise KafkaException(msg.error())
            at_eof.discard(msg.partition())
            records.append({
                'partition': msg.partition(), 'offset': msg.offset(), 'key': text(msg.key()),
                'value': text(msg.value()), 'headers': [[k, text(v)] for k, v in (msg.headers() or [])],
                'timestamp': msg.timestamp()[1],
            })
    watermarks = {str(p): consumer.get_watermark_offsets(TopicPartition(args['topic'], p), timeout=10)
                  for p in args['partitions']}
    consumer.close()
    return {'records': records, 'watermarks': watermarks}


def offsets_for_times(args):
    consumer = new_consumer(args)
    query = [TopicPartition(args['topic'], p, args['timestamp']) for p in args['partitions']]
    found = consumer.offsets_for_times(query, timeout=10)
    consumer.close()
    return {str(tp.partition): {'offset': tp.offset, 'error': None if tp.error is None else str(tp.error)} for tp in found}


def admin(args):
    client = AdminClient({'bootstrap.servers': args['bootstrap']})
    out = {}
    if 'create' in args:
        futures = client.create_topics([NewTopic(t['name'], num_partitions=t['partitions'], replication_factor=1)
                                        for t in args['create']], operation_timeout=10)
        out['created'] = {}
        for name, future in futures.items():
            try:
                future.result()
                out['created'][name] = None
            except KafkaException as error:
                out['created'][name] = error.args[0].name()
    metadata = client.list_topics(timeout=10)
    out['brokers'] = sorted('%s:%d' % (b.host, b.port) for b in metadata.brokers.values())
    out['topics'] = {name: {'partitions': sorted(t.partitions.keys()), 'error': None if t.error is None else t.error.name()}
                     for name, t in metadata.topics.items()}
    if 'describe_configs' in args:
        futures = client.describe_configs([ConfigResource('topic', name) for name in args['describe_configs']])
        out['configs'] = {}
        for resource, future in futures.items():
            out['configs'][resource.name] = {name: entry.value for name, entry in future.result().items()}
    return out


def produce_forever(args):
    """Produces v0, v1, ... round-robin over the partitions with acks=1, printing
    `<partition> <offset> <value>` for every acknowledged record, until killed or `count` is reached."""
    sys.stdout.reconfigure(line_buffering=True)
    producer = Producer({
        'bootstrap.servers': args['bootstrap'],
        'acks': '1',
        'linger.ms': 2,
        'enable.idempotence': False,
        'queue.buffering.max.messages': 20000,
    })

    def done(err, msg):
        if err is None:
            sys.stdout.write('%d %d %s\n' % (msg.partition(), msg.offset(), text(msg.value())))

    partitions = args['partitions']
    count = args.get('count', 10 ** 9)
    for seq in range(count):
        while True:
            try:
                producer.produce(args['topic'], value=('v%d' % seq).encode(),
                                 partition=partitions[seq % len(partitions)], on_delivery=done)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(30)
    return None


COMMANDS = {
    'produce': produce,
    'consume': consume,
    'offsets_for_times': offsets_for_times,
    'admin': admin,
    'produce_forever': produce_forever,
}

if __name__ == '__main__':
    result = COMMANDS[sys.argv[1]](json.load(sys.stdin))
    if result is not None:
        json.dump(result, sys.stdout)
        sys.stdout.write('\n')
