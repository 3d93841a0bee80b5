"""A consumer-group member driven by the group interop tests: confluent-kafka (librdkafka) by
default, kafka-python 2.0.2 with "library": "kafka-python".

Usage: /usr/bin/python3 groups_member.py '<json config>'
Config: bootstrap, group, topics, session_timeout_ms, [group_instance_id], [strategy], [client_id], [library].
Prints one JSON object per line on stdout: {"event": "assigned"|"revoked", "partitions": [[topic, p], ...]},
{"event": "record", "topic", "partition", "offset", "value"}, {"event": "ready"}, {"event": "closed"}.
Offsets are committed synchronously after every batch, before the next poll, so a clean
rebalance hands partitions over exactly at the last record this member printed.
SIGTERM closes the consumer (a dynamic member sends LeaveGroup; a static one does not).
"""
import json
import signal
import sys

config = json.loads(sys.argv[1])
stopping = False


def emit(event, **fields):
    fields['event'] = event
    sys.stdout.write(json.dumps(fields) + '\n')
    sys.stdout.flush()


def on_stop(signum, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, on_stop)


def listed(partitions):
    return sorted([tp.topic, tp.partition] for tp in partitions)


def run_confluent():
    from confluent_kafka import Consumer, KafkaException, TopicPartition
    settings = {
        'bootstrap.servers': config['bootstrap'],
        'group.id': config['group'],
        'client.id': config.get('client_id', 'gregor-groups-py'),
        'session.timeout.ms': config['session_timeout_ms'],
        'heartbeat.interval.ms': config.get('heartbeat_interval_ms', 250),
        'partition.assignment.strategy': config.get('strategy') or 'roundrobin',
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'topic.metadata.refresh.interval.ms': 1000,
    }
    if config.get('group_instance_id'):
        settings['group.instance.id'] = config['group_instance_id']
    consumer = Consumer(settings)
    consumer.subscribe(config['topics'],
                       on_assign=lambda c, partitions: emit('assigned', partitions=listed(partitions)),
                       on_revoke=lambda c, partitions: emit('revoked', partitions=listed(partitions)))
    emit('ready')
    while not stopping:
        messages = consumer.consume(num_messages=100, timeout=0.2)
        positions = {}
        for msg in messages:
            if msg.error() is not None:
                emit('error', message=str(msg.error()))
                continue
            emit('record', topic=msg.topic(), partition=msg.partition(), offset=msg.offset(),
                 value=None if msg.value() is None else msg.value().decode('utf-8'))
            positions[(msg.topic(), msg.partition())] = msg.offset() + 1
        if positions:
            try:
                consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in positions.items()], asynchronous=False)
            except KafkaException as error:
                emit('error', message='commit: %s' % error)
    consumer.close()


def run_kafka_python():
    from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata
    from kafka.errors import KafkaError

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            emit('revoked', partitions=listed(revoked))

        def on_partitions_assigned(self, assigned):
            emit('assigned', partitions=listed(assigned))

    consumer = KafkaConsumer(
        bootstrap_servers=config['bootstrap'], group_id=config['group'], client_id=config.get('client_id', 'gregor-groups-py'),
        session_timeout_ms=config['session_timeout_ms'], heartbeat_interval_ms=config.get('heartbeat_interval_ms', 250),
        enable_auto_commit=False, auto_offset_reset='earliest', metadata_max_age_ms=1000)
    consumer.subscribe(config['topics'], listener=Listener())
    emit('ready')
    while not stopping:
        batches = consumer.poll(timeout_ms=200)
        positions = {}
        for tp, messages in batches.items():
            for msg in messages:
                emit('record', topic=msg.topic, partition=msg.partition, offset=msg.offset,
                     value=None if msg.value is None else msg.value.decode('utf-8'))
                positions[tp] = OffsetAndMetadata(msg.offset + 1, '')
        if positions:
            try:
                consumer.commit(positions)
            except KafkaError as error:
                emit('error', message='commit: %s' % error)
    consumer.close()


if config.get('library') == 'kafka-python':
    run_kafka_python()
else:
    run_confluent()
emit('closed')
