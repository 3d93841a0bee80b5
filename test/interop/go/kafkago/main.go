// kafkago-client: segmentio/kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev) driven by
// the interop tests. Usage: kafkago-client <command>, with one JSON object on stdin; prints one
// JSON document on stdout. Client errors are reported as {"error": "..."} with exit status 0 so
// that tests can assert on how a failure looks.
//
// kafka-go 0.2.1 hard-codes its request versions (write.go, conn.go): Produce v2 and Fetch v2 with
// message format v1, ListOffsets v1, Metadata v1, FindCoordinator v0, JoinGroup v1, SyncGroup v0,
// Heartbeat v0, LeaveGroup v0, OffsetCommit v2, OffsetFetch v1, CreateTopics v0, DeleteTopics v1.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

type input struct {
	Bootstrap string   `json:"bootstrap"`
	Topic     string   `json:"topic"`
	Partition int      `json:"partition"`
	Records   []record `json:"records"`
	TimeoutMs int64    `json:"timeoutMs"`
}

type record struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: kafkago-client <command> < input.json")
	}
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("bad input: " + err.Error())
	}
	if in.TimeoutMs == 0 {
		in.TimeoutMs = 10000
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(in.TimeoutMs)*time.Millisecond)
	defer cancel()
	var out interface{}
	switch os.Args[1] {
	case "partitions":
		out = partitions(ctx, in)
	case "offsets":
		out = offsets(ctx, in)
	case "write":
		out = write(ctx, in)
	case "read":
		out = read(ctx, in)
	case "reader":
		out = reader(ctx, in)
	default:
		fail("unknown command " + os.Args[1])
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err.Error())
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}

func errorResult(err error) map[string]interface{} {
	return map[string]interface{}{"error": err.Error()}
}

// partitions: Metadata v1 through Conn.ReadPartitions.
func partitions(ctx context.Context, in input) interface{} {
	conn, err := kafka.DialContext(ctx, "tcp", in.Bootstrap)
	if err != nil {
		return errorResult(err)
	}
	defer conn.Close()
	found, err := conn.ReadPartitions(in.Topic)
	if err != nil {
		return errorResult(err)
	}
	ids := []int{}
	for _, p := range found {
		ids = append(ids, p.ID)
	}
	return map[string]interface{}{"partitions": ids}
}

// offsets: ListOffsets v1 (earliest and latest) through the partition leader's Conn.
func offsets(ctx context.Context, in input) interface{} {
	conn, err := kafka.DialLeader(ctx, "tcp", in.Bootstrap, in.Topic, in.Partition)
	if err != nil {
		return errorResult(err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return errorResult(err)
	}
	return map[string]interface{}{"first": first, "last": last}
}

// write: a Writer (one attempt, so the first answer is the one reported) sending in.Records to
// in.Partition with Produce v2.
func write(ctx context.Context, in input) interface{} {
	var logged bytes.Buffer
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers:      []string{in.Bootstrap},
		Topic:        in.Topic,
		Balancer:     fixed(in.Partition),
		MaxAttempts:  1,
		BatchTimeout: 10 * time.Millisecond,
		RequiredAcks: -1,
		ErrorLogger:  log.New(&logged, "", 0),
	})
	messages := []kafka.Message{}
	for _, r := range in.Records {
		messages = append(messages, kafka.Message{Key: []byte(r.Key), Value: []byte(r.Value)})
	}
	err := w.WriteMessages(ctx, messages...)
	w.Close()
	if err != nil {
		return map[string]interface{}{"error": err.Error(), "logged": logged.String()}
	}
	return map[string]interface{}{"written": len(messages)}
}

type fixed int

func (p fixed) Balance(_ kafka.Message, _ ...int) int { return int(p) }

// read: one Fetch v2 from offset 0 through the partition leader's Conn.
func read(ctx context.Context, in input) interface{} {
	conn, err := kafka.DialLeader(ctx, "tcp", in.Bootstrap, in.Topic, in.Partition)
	if err != nil {
		return errorResult(err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if _, err := conn.Seek(0, kafka.SeekAbsolute); err != nil {
		return errorResult(err)
	}
	m, err := conn.ReadMessage(1 << 20)
	if err != nil {
		return errorResult(err)
	}
	return map[string]interface{}{"offset": m.Offset, "key": string(m.Key), "value": string(m.Value)}
}

// reader: a Reader on in.Partition from the first offset, until ctx ends; errors the Reader
// logs while retrying are reported with whatever it read.
func reader(ctx context.Context, in input) interface{} {
	var logged bytes.Buffer
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     []string{in.Bootstrap},
		Topic:       in.Topic,
		Partition:   in.Partition,
		MaxWait:     100 * time.Millisecond,
		ErrorLogger: log.New(&logged, "", 0),
	})
	defer r.Close()
	read := []record{}
	for len(read) < len(in.Records) {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return map[string]interface{}{"error": err.Error(), "records": read, "logged": logged.String()}
		}
		read = append(read, record{Key: string(m.Key), Value: string(m.Value)})
	}
	return map[string]interface{}{"records": read}
}
