"""kafka-python 2.0.2 driven by the interop tests.

Usage: /usr/bin/python3 kafka_python_client.py <command>  with a JSON object on stdin.
Prints one JSON document on stdout. Exits 0 on success; errors propagate as a traceback (exit 1).
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaTimeoutError


def text(raw):
    return None if raw is None else raw.decode('utf-8')


def produce(args):
    producer = KafkaProducer(
        bootstrap_servers=args['bootstrap'],
        acks=args.get('acks', 1),
        linger_ms=args.get('linger_ms', 0),
        max_block_ms=args.get('max_block_ms', 20000),
        retries=0,
    )
    futures = []
    for record in args['records']:
        futures.append(producer.send(
            args['topic'],
            key=None if record.get('key') is None else record['key'].encode(),
            value=None if record.get('value') is None else record['value'].encode(),
            headers=[(k, v.encode()) for k, v in record.get('headers', [])],
            partition=record.get('partition'),
            timestamp_ms=record.get('timestamp'),
        ))
    producer.flush()
    acked = []
    for future in futures:
        metadata = future.get(timeout=20)
        acked.append({'partition': metadata.partition, 'offset': metadata.offset, 'timestamp': metadata.timestamp})
    producer.close()
    return acked


def produce_unknown_topic(args):
    """Sending to a topic that does not exist (auto-create off) must fail, not hang or create it."""
    producer = KafkaProducer(bootstrap_servers=args['bootstrap'], max_block_ms=args.get('max_block_ms', 3000), retries=0)
    try:
        producer.send(args['topic'], value=b'x').get(timeout=10)
        outcome = {'error': None}
    except KafkaTimeoutError as error:
        outcome = {'error': 'KafkaTimeoutError', 'message': str(error)}
    # The consumer's metadata view: partitions_for_topic is None for an unknown topic.
    consumer = KafkaConsumer(bootstrap_servers=args['bootstrap'], group_id=None)
    outcome['partitions'] = consumer.partitions_for_topic(args['topic'])
    outcome['partitions'] = None if outcome['partitions'] is None else sorted(outcome['partitions'])
    outcome['topics'] = sorted(consumer.topics())
    consumer.close()
    producer.close()
    return outcome


def new_consumer(args):
    return KafkaConsumer(
        bootstrap_servers=args['bootstrap'],
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset=args.get('auto_offset_reset', 'earliest'),
        consumer_timeout_ms=1000,
    )


def consume(args):
    """Assigns the partitions (no group), seeks to the beginning, reads up to each end offset."""
    consumer = new_consumer(args)
    partitions = [TopicPartition(args['topic'], p) for p in args['partitions']]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = consumer.end_offsets(partitions)
    records = []
    deadline = time.time() + args.get('timeout_s', 20)
    while any(consumer.position(tp) < end[tp] for tp in partitions):
        if time.time() > deadline:
            raise SystemExit('timed out: positions %s, end offsets %s' % (
                {tp.partition: consumer.position(tp) for tp in partitions}, {tp.partition: o for tp, o in end.items()}))
        for tp, messages in consumer.poll(timeout_ms=500).items():
            for m in messages:
                records.append({
                    'partition': m.partition, 'offset': m.offset, 'key': text(m.key), 'value': text(m.value),
                    'headers': [[k, text(v)] for k, v in (m.headers or [])], 'timestamp': m.timestamp,
                })
    consumer.close()
    return {'records': records, 'end_offsets': {str(tp.partition): o for tp, o in end.items()}}


def offsets_for_times(args):
    consumer = new_consumer(args)
    query = {TopicPartition(args['topic'], p): args['timestamp'] for p in args['partitions']}
    found = consumer.offsets_for_times(query)
    consumer.close()
    return {str(tp.partition): None if o is None else {'offset': o.offset, 'timestamp': o.timestamp}
            for tp, o in found.items()}


COMMANDS = {
    'produce': produce,
    'produce_unknown_topic': produce_unknown_topic,
    'consume': consume,
    'offsets_for_times': offsets_for_times,
}

if __name__ == '__main__':
    result = COMMANDS[sys.argv[1]](json.load(sys.stdin))
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')
