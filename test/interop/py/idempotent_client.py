"""confluent-kafka (librdkafka 2.0.2) with enable.idempotence=True, for the idempotent-producer tests.

Usage: /usr/bin/python3 idempotent_client.py <command>  with a JSON object on stdin.
  produce          produces args['records'] (key, value, partition); prints one JSON list of
                   {partition, offset} in record order.
  produce_forever  produces v0, v1, ... round-robin over args['partitions'], printing
                   `<partition> <offset> <value>` per acknowledged record and `error <text>` per
                   failed one, until killed or args['count'] records were produced and flushed.
"""
import json
import sys

from confluent_kafka import Producer


def idempotent_producer(args, **extra):
    config = {
        'bootstrap.servers': args['bootstrap'],
        'enable.idempotence': True,
        'acks': 'all',
        'linger.ms': args.get('linger_ms', 5),
        'message.timeout.ms': args.get('message_timeout_ms', 30000),
        'batch.num.messages': args.get('batch_num_messages', 10000),
    }
    config.update(extra)
    return Producer(config)


def produce(args):
    producer = idempotent_producer(args)
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
        producer.produce(args['topic'], key=record['key'].encode(), value=record['value'].encode(),
                         partition=record['partition'], on_delivery=on_delivery(index))
        producer.poll(0)
    remaining = producer.flush(60)
    if remaining or errors:
        raise SystemExit('delivery failed: %d undelivered, errors %s' % (remaining, errors[:5]))
    return acked


def produce_forever(args):
    sys.stdout.reconfigure(line_buffering=True)
    # Retries are unbounded within message.timeout.ms, so a broker restart only delays delivery.
    producer = idempotent_producer(args, **{'queue.buffering.max.messages': 20000, 'reconnect.backoff.max.ms': 200})

    def done(err, msg):
        if err is None:
            sys.stdout.write('%d %d %s\n' % (msg.partition(), msg.offset(), msg.value().decode()))
        else:
            sys.stdout.write('error %s\n' % err)

    partitions = args['partitions']
    count = args.get('count', 10 ** 9)
    for seq in range(count):
        while True:
            try:
                producer.produce(args['topic'], key=('k%d' % seq).encode(), value=('v%d' % seq).encode(),
                                 partition=partitions[seq % len(partitions)], on_delivery=done)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)
    sys.stdout.write('flushed\n')
    return None


COMMANDS = {
    'produce': produce,
    'produce_forever': produce_forever,
}

if __name__ == '__main__':
    result = COMMANDS[sys.argv[1]](json.load(sys.stdin))
    if result is not None:
        json.dump(result, sys.stdout)
        sys.stdout.write('\n')
