"""confluent-kafka (librdkafka 2.0.2) for the log-management tests: compressed produce, consume
with an offset reset policy, AdminClient configs and partitions.

Usage: /usr/bin/python3 log_management_client.py <command>  with a JSON object on stdin.
Prints one JSON document on stdout.
"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions


def text(raw):
    return None if raw is None else raw.decode('utf-8')


def produce(args):
    producer = Producer({
        'bootstrap.servers': args['bootstrap'],
        'acks': 'all',
        'linger.ms': 20,
        'enable.idempotence': False,
        'compression.type': args.get('compression', 'none'),
        'batch.num.messages': args.get('batch_messages', 10000),
        'message.timeout.ms': 20000,
    })
    acked = [None] * len(args['records'])
    errors = []

    def on_delivery(index):
        def done(err, msg):
            if err is not None:
                errors.append('record %d: %s' % (index, err))
            else:
                acked[index] = msg.offset()
        return done

    for index, record in enumerate(args['records']):
        options = {} if record.get('timestamp') is None else {'timestamp': record['timestamp']}
        producer.produce(
            args['topic'],
            key=None if record.get('key') is None else record['key'].encode(),
            value=None if record.get('value') is None else record['value'].encode(),
            partition=record.get('partition', 0),
            on_delivery=on_delivery(index),
            **options,
        )
        producer.poll(0)
    remaining = producer.flush(30)
    if remaining or errors:
        raise SystemExit('delivery failed: %d undelivered, errors %s' % (remaining, errors))
    return acked


def consume(args):
    """Assigns one partition at `offset` (an int, or 'beginning') and reads until EOF. An offset
    out of range is reset by auto.offset.reset (earliest by default), which is what is tested."""
    consumer = Consumer({
        'bootstrap.servers': args['bootstrap'],
        'group.id': 'gregor-log-management-unused',
        'enable.auto.commit': False,
        'enable.partition.eof': True,
        'auto.offset.reset': args.get('auto_offset_reset', 'earliest'),
    })
    offset = args.get('offset', 'beginning')
    offset = OFFSET_BEGINNING if offset == 'beginning' else offset
    partition = args.get('partition', 0)
    consumer.assign([TopicPartition(args['topic'], partition, offset)])
    records = []
    deadline = time.time() + args.get('timeout_s', 20)
    while True:
        if time.time() > deadline:
            raise SystemExit('timed out; %d records read' % len(records))
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() == KafkaError._PARTITION_EOF:
                break
            # auto.offset.reset=error surfaces an out-of-range fetch offset here.
            consumer.close()
            return {'records': records, 'error': msg.error().name()}
        records.append({'offset': msg.offset(), 'key': text(msg.key()), 'value': text(msg.value())})
    low, high = consumer.get_watermark_offsets(TopicPartition(args['topic'], partition), timeout=10)
    consumer.close()
    return {'records': records, 'low': low, 'high': high}


RESOURCE_TYPES = {'topic': ConfigResource.Type.TOPIC, 'broker': ConfigResource.Type.BROKER}


def alter_configs(args):
    """Legacy AlterConfigs: each resource's whole set of dynamic configs is replaced."""
    client = AdminClient({'bootstrap.servers': args['bootstrap']})
    resources = [ConfigResource(RESOURCE_TYPES[r['type']], r['name'], set_config=r['configs']) for r in args['resources']]
    futures = client.alter_configs(resources, validate_only=args.get('validate_only', False), request_timeout=10)
    out = {}
    for resource, future in futures.items():
        try:
            future.result()
            out[resource.name] = None
        except KafkaException as error:
            out[resource.name] = error.args[0].name()
    return out


def describe_configs(args):
    client = AdminClient({'bootstrap.servers': args['bootstrap']})
    resources = [ConfigResource(RESOURCE_TYPES[r['type']], r['name']) for r in args['resources']]
    out = {}
    for resource, future in client.describe_configs(resources, request_timeout=10).items():
        try:
            out[resource.name] = {name: {'value': entry.value, 'source': entry.source, 'read_only': entry.is_read_only,
                                         'is_default': entry.is_default}
                                  for name, entry in future.result().items()}
        except KafkaException as error:
            out[resource.name] = error.args[0].name()
    return out


def create_partitions(args):
    client = AdminClient({'bootstrap.servers': args['bootstrap']})
    futures = client.create_partitions([NewPartitions(args['topic'], args['count'])],
                                       validate_only=args.get('validate_only', False), request_timeout=10)
    try:
        futures[args['topic']].result()
        return {'error': None}
    except KafkaException as error:
        return {'error': error.args[0].name()}


COMMANDS = {
    'produce': produce,
    'consume': consume,
    'alter_configs': alter_configs,
    'describe_configs': describe_configs,
    'create_partitions': create_partitions,
}

if __name__ == '__main__':
    result = COMMANDS[sys.argv[1]](json.load(sys.stdin))
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')
