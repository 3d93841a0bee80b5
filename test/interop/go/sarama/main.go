// sarama-client: Shopify/sarama 1.22.1 (Debian golang-github-shopify-sarama-dev) driven by the
// interop tests. Usage: sarama-client <command>, with one JSON object on stdin. One-shot commands
// print one JSON document on stdout; group-member prints one JSON event per line until SIGTERM.
// Client errors are reported as {"error": "..."} with exit status 0, so that tests can assert
// on how a failure looks; only broken input exits non-zero.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/Shopify/sarama"
)

type input struct {
	Bootstrap     string            `json:"bootstrap"`
	Version       string            `json:"version"` // "default" keeps sarama's default (0.8.2)
	Topic         string            `json:"topic"`
	Topics        []string          `json:"topics"`
	Partitions    []int32           `json:"partitions"`
	Records       []record          `json:"records"`
	Group         string            `json:"group"`
	ClientID      string            `json:"clientId"`
	NumPartitions int32             `json:"numPartitions"`
	Configs       map[string]string `json:"configs"`
	// Consumer.Offsets.Retention in ms: 0 (sarama's default) commits with OffsetCommit v1,
	// anything else with v2.
	RetentionMs int64 `json:"retentionMs"`
	TimeoutMs   int64 `json:"timeoutMs"`
}

type record struct {
	Partition int32       `json:"partition"`
	Offset    int64       `json:"offset"`
	Key       *string     `json:"key"`
	Value     *string     `json:"value"`
	Headers   [][2]string `json:"headers"`
}

type ack struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: sarama-client <command> < input.json")
	}
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("bad input: " + err.Error())
	}
	if in.TimeoutMs == 0 {
		in.TimeoutMs = 20000
	}
	cfg := config(in)
	switch os.Args[1] {
	case "produce":
		emit(produce(in, cfg))
	case "consume":
		emit(consume(in, cfg))
	case "group-member":
		groupMember(in, cfg)
	case "commit":
		emit(commit(in, cfg))
	case "admin":
		emit(admin(in, cfg))
	case "admin-create":
		emit(adminCreate(in, cfg))
	default:
		fail("unknown command " + os.Args[1])
	}
}

func config(in input) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "gregor-interop-sarama"
	if in.ClientID != "" {
		cfg.ClientID = in.ClientID
	}
	if in.Version != "default" {
		v, err := sarama.ParseKafkaVersion(in.Version)
		if err != nil {
			fail("bad version: " + err.Error())
		}
		cfg.Version = v
	}
	// Fail fast: the tests want the first answer, not sarama's retry loop.
	cfg.Metadata.Retry.Max = 1
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Retry.Max = 0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	cfg.Consumer.Offsets.Retention = time.Duration(in.RetentionMs) * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	return cfg
}

func emit(v interface{}) {
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
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

func bytesOf(s *string) sarama.Encoder {
	if s == nil {
		return nil
	}
	return sarama.StringEncoder(*s)
}

func stringOf(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// produce sends each record with a SyncProducer and reports where the broker put it.
func produce(in input, cfg *sarama.Config) interface{} {
	producer, err := sarama.NewSyncProducer([]string{in.Bootstrap}, cfg)
	if err != nil {
		return errorResult(err)
	}
	defer producer.Close()
	acked := []ack{}
	for _, r := range in.Records {
		message := &sarama.ProducerMessage{Topic: in.Topic, Partition: r.Partition, Key: bytesOf(r.Key), Value: bytesOf(r.Value)}
		for _, h := range r.Headers {
			message.Headers = append(message.Headers, sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
		}
		partition, offset, err := producer.SendMessage(message)
		if err != nil {
			return map[string]interface{}{"error": err.Error(), "acked": acked}
		}
		acked = append(acked, ack{Partition: partition, Offset: offset})
	}
	return map[string]interface{}{"acked": acked}
}

// consume reads the given partitions from the oldest offset up to the high watermark each
// partition had when its consumer started.
func consume(in input, cfg *sarama.Config) interface{} {
	client, err := sarama.NewClient([]string{in.Bootstrap}, cfg)
	if err != nil {
		return errorResult(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return errorResult(err)
	}
	defer consumer.Close()
	records := []record{}
	ends := map[int32]int64{}
	deadline := time.After(time.Duration(in.TimeoutMs) * time.Millisecond)
	for _, p := range in.Partitions {
		end, err := client.GetOffset(in.Topic, p, sarama.OffsetNewest)
		if err != nil {
			return errorResult(err)
		}
		ends[p] = end
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(in.Topic, p, sarama.OffsetOldest)
		if err != nil {
			return errorResult(err)
		}
		for done := false; !done; {
			select {
			case m := <-pc.Messages():
				r := record{Partition: m.Partition, Offset: m.Offset, Key: stringOf(m.Key), Value: stringOf(m.Value), Headers: [][2]string{}}
				for _, h := range m.Headers {
					r.Headers = append(r.Headers, [2]string{string(h.Key), string(h.Value)})
				}
				records = append(records, r)
				done = m.Offset+1 >= end
			case e := <-pc.Errors():
				pc.Close()
				return map[string]interface{}{"error": e.Err.Error(), "records": records}
			case <-deadline:
				pc.Close()
				return map[string]interface{}{"error": "timed out", "records": records}
			}
		}
		pc.Close()
	}
	return map[string]interface{}{"records": records, "endOffsets": ends}
}

type memberHandler struct {
	mu sync.Mutex
}

func (h *memberHandler) event(v map[string]interface{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	emit(v)
}

func (h *memberHandler) Setup(s sarama.ConsumerGroupSession) error {
	claims := s.Claims()
	for _, partitions := range claims {
		sort.Slice(partitions, func(i, j int) bool { return partitions[i] < partitions[j] })
	}
	h.event(map[string]interface{}{"event": "setup", "memberId": s.MemberID(), "generation": s.GenerationID(), "claims": claims})
	return nil
}

func (h *memberHandler) Cleanup(s sarama.ConsumerGroupSession) error {
	h.event(map[string]interface{}{"event": "cleanup", "generation": s.GenerationID()})
	return nil
}

func (h *memberHandler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.event(map[string]interface{}{"event": "record", "partition": m.Partition, "offset": m.Offset, "key": stringOf(m.Key), "value": stringOf(m.Value)})
		s.MarkMessage(m, "")
	}
	return nil
}

// groupMember joins in.Group with sarama's ConsumerGroup and consumes in.Topics, marking every
// record (sarama commits marked offsets every CommitInterval and when the session ends). On
// SIGTERM it closes the group (final commit, LeaveGroup) and exits 0.
func groupMember(in input, cfg *sarama.Config) {
	handler := &memberHandler{}
	group, err := sarama.NewConsumerGroup([]string{in.Bootstrap}, in.Group, cfg)
	if err != nil {
		handler.event(errorResult(err))
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		cancel()
	}()
	go func() {
		for err := range group.Errors() {
			handler.event(map[string]interface{}{"event": "error", "error": err.Error()})
		}
	}()
	for ctx.Err() == nil {
		if err := group.Consume(ctx, in.Topics, handler); err != nil {
			handler.event(map[string]interface{}{"event": "error", "error": err.Error()})
			time.Sleep(100 * time.Millisecond) // back off before rejoining, as sarama's examples do
		}
	}
	if err := group.Close(); err != nil {
		handler.event(map[string]interface{}{"event": "error", "error": err.Error()})
	}
	handler.event(map[string]interface{}{"event": "closed"})
}

// commit sends the OffsetCommit request sarama's offset manager builds (constructRequest: v1 when
// Consumer.Offsets.Retention is 0, else v2 with the retention) for in.Records (partition, offset)
// as a standalone committer (generation -1), then reads the group's offsets back (OffsetFetch v1).
func commit(in input, cfg *sarama.Config) interface{} {
	client, err := sarama.NewClient([]string{in.Bootstrap}, cfg)
	if err != nil {
		return errorResult(err)
	}
	defer client.Close()
	coordinator, err := client.Coordinator(in.Group)
	if err != nil {
		return errorResult(err)
	}
	request := &sarama.OffsetCommitRequest{Version: 1, ConsumerGroup: in.Group, ConsumerGroupGeneration: -1}
	timestamp := sarama.ReceiveTime
	if cfg.Consumer.Offsets.Retention != 0 {
		request.Version = 2
		request.RetentionTime = int64(cfg.Consumer.Offsets.Retention / time.Millisecond)
		timestamp = 0
	}
	fetch := &sarama.OffsetFetchRequest{Version: 1, ConsumerGroup: in.Group}
	for _, r := range in.Records {
		request.AddBlock(in.Topic, r.Partition, r.Offset, timestamp, "")
		fetch.AddPartition(in.Topic, r.Partition)
	}
	response, err := coordinator.CommitOffset(request)
	if err != nil {
		return errorResult(err)
	}
	errs := map[int32]string{}
	for partition, kerr := range response.Errors[in.Topic] {
		if kerr != sarama.ErrNoError {
			errs[partition] = kerr.Error()
		}
	}
	fetched, err := coordinator.FetchOffset(fetch)
	if err != nil {
		return map[string]interface{}{"version": request.Version, "errors": errs, "fetchError": err.Error()}
	}
	committed := map[int32]int64{}
	for _, r := range in.Records {
		if block := fetched.GetBlock(in.Topic, r.Partition); block != nil {
			committed[r.Partition] = block.Offset
		}
	}
	return map[string]interface{}{"version": request.Version, "errors": errs, "committed": committed}
}

// admin runs the ClusterAdmin calls in order: create in.Topic (with in.Configs), list topics,
// describe in.Topic's config, delete in.Topic, list again. Each step's outcome is reported.
func admin(in input, cfg *sarama.Config) interface{} {
	admin, err := sarama.NewClusterAdmin([]string{in.Bootstrap}, cfg)
	if err != nil {
		return errorResult(err)
	}
	defer admin.Close()
	out := map[string]interface{}{}
	detail := topicDetail(in)
	out["create"] = errorString(admin.CreateTopic(in.Topic, detail, false))
	out["createAgain"] = errorString(admin.CreateTopic(in.Topic, detail, false))
	out["listAfterCreate"] = listTopics(admin)
	described, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: in.Topic})
	configs := map[string]string{}
	for _, entry := range described {
		configs[entry.Name] = entry.Value
	}
	out["describeConfig"] = map[string]interface{}{"error": errorString(err), "entries": configs}
	out["delete"] = errorString(admin.DeleteTopic(in.Topic))
	out["listAfterDelete"] = listTopics(admin)
	return out
}

// adminCreate creates in.Topic with in.NumPartitions and in.Configs (CreateTopics v2).
func adminCreate(in input, cfg *sarama.Config) interface{} {
	admin, err := sarama.NewClusterAdmin([]string{in.Bootstrap}, cfg)
	if err != nil {
		return errorResult(err)
	}
	defer admin.Close()
	return map[string]interface{}{"create": errorString(admin.CreateTopic(in.Topic, topicDetail(in), false))}
}

func topicDetail(in input) *sarama.TopicDetail {
	entries := map[string]*string{}
	for name, value := range in.Configs {
		v := value
		entries[name] = &v
	}
	return &sarama.TopicDetail{NumPartitions: in.NumPartitions, ReplicationFactor: 1, ConfigEntries: entries}
}

func listTopics(admin sarama.ClusterAdmin) interface{} {
	topics, err := admin.ListTopics()
	if err != nil {
		return map[string]interface{}{"error": err.Error()}
	}
	out := map[string]interface{}{}
	for name, detail := range topics {
		configs := map[string]string{}
		for k, v := range detail.ConfigEntries {
			if v != nil {
				configs[k] = *v
			}
		}
		out[name] = map[string]interface{}{"numPartitions": detail.NumPartitions, "replicationFactor": detail.ReplicationFactor, "configs": configs}
	}
	return map[string]interface{}{"topics": out}
}

func errorString(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}
