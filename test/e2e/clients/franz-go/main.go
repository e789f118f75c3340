// Client-matrix driver for franz-go (github.com/twmb/franz-go): the steps given as arguments,
// one JSON line each (test/e2e/clients/README.md). One client per connection serves every
// produce step of that connection. The topic-id steps (create, produce-each, fetch; used by
// test/e2e/topic-ids.test.ts) also report what franz-go did underneath, read from its debug log:
// the requests it wrote (api and version) and the errors of the attempts it made.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"kafka-wasm-filter/e2e/clients/step"
)

// errName: Kafka's name for a broker's error, else step.ErrName.
func errName(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Message
	}
	return step.ErrName(err)
}

// trace keeps franz-go's debug log lines ("msg key=value ...") for the steps to read.
type trace struct {
	mu    sync.Mutex
	lines []string
}

func (t *trace) Level() kgo.LogLevel { return kgo.LogLevelDebug }

func (t *trace) Log(_ kgo.LogLevel, msg string, kv ...any) {
	var b strings.Builder
	b.WriteString(msg)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	t.mu.Lock()
	t.lines = append(t.lines, b.String())
	t.mu.Unlock()
}

// since: the lines logged after the first `from`.
func (t *trace) since(from int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines[from:]...)
}

func (t *trace) mark() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.lines)
}

var tr = &trace{}

var wroteRe = regexp.MustCompile(`^wrote (\w+ v\d+) `)

// requests counts the requests written in `lines`, by "Api vN".
func requests(lines []string) map[string]int {
	m := map[string]int{}
	for _, l := range lines {
		if w := wroteRe.FindStringSubmatch(l); w != nil {
			m[w[1]]++
		}
	}
	return m
}

// conn: "@host:port" or "MECHANISM:user:password@host:port"; a "+pin" suffix sends every
// connection of the client to that address, whatever the broker advertises (a client behind a
// load balancer that always reaches the same proxy).
func opts(conn string) []kgo.Opt {
	pin := strings.HasSuffix(conn, "+pin")
	conn = strings.TrimSuffix(conn, "+pin")
	at := strings.LastIndex(conn, "@")
	o := []kgo.Opt{kgo.SeedBrokers(conn[at+1:]), kgo.RequestTimeoutOverhead(10 * time.Second), kgo.WithLogger(tr)}
	if pin {
		addr := conn[at+1:]
		var d net.Dialer
		o = append(o, kgo.Dialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}))
	}
	if at > 0 {
		a := strings.SplitN(conn[:at], ":", 3)
		switch a[0] {
		case "PLAIN":
			o = append(o, kgo.SASL(plain.Auth{User: a[1], Pass: a[2]}.AsMechanism()))
		case "SCRAM-SHA-256":
			o = append(o, kgo.SASL(scram.Auth{User: a[1], Pass: a[2]}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			o = append(o, kgo.SASL(scram.Auth{User: a[1], Pass: a[2]}.AsSha512Mechanism()))
		}
	}
	return o
}

var producers = map[string]*kgo.Client{}

// producer: the connection's producer, made at its first use.
func producer(conn string) (*kgo.Client, error) {
	if cl := producers[conn]; cl != nil {
		return cl, nil
	}
	cl, err := kgo.NewClient(append(opts(conn), kgo.RecordDeliveryTimeout(step.Timeout))...)
	if err == nil {
		producers[conn] = cl
	}
	return cl, err
}

func produce(conn, topic string, values []string) error {
	cl, err := producer(conn)
	if err != nil {
		return err
	}
	for _, v := range values {
		ctx, cancel := context.WithTimeout(context.Background(), step.Timeout+5*time.Second)
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr()
		cancel()
		if err != nil {
			return err
		}
	}
	step.Emit("produce", true, map[string]any{"count": len(values)})
	return nil
}

// quiet drops franz-go's log: a load step writes thousands of requests that nothing reads.
type quiet struct{}

func (quiet) Level() kgo.LogLevel              { return kgo.LogLevelNone }
func (quiet) Log(kgo.LogLevel, string, ...any) {}

// load: keyed records "<prefix>-<i>" to `topic`, ten at a time, for `ms` milliseconds, with
// franz-go's producer defaults (idempotent, acks=all, retried until the delivery timeout) but
// no compression;
// reports every acknowledged value with when it was acknowledged (ms since the epoch) and the
// errors of the others (test/e2e/cluster.test.ts stops a broker meanwhile).
func load(conn, topic, prefix string, ms int) error {
	// Uncompressed: the test's consumer is kafkajs, which reads no snappy (franz-go's default codec).
	cl, err := kgo.NewClient(append(opts(conn), kgo.WithLogger(quiet{}), kgo.RecordDeliveryTimeout(60*time.Second),
		kgo.ProducerBatchCompression(kgo.NoCompression()))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	acked, at, failed := []string{}, []int64{}, map[string]int{}
	for i, end := 0, time.Now().Add(time.Duration(ms)*time.Millisecond); time.Now().Before(end); i += 10 {
		recs := make([]*kgo.Record, 10)
		for j := range recs {
			recs[j] = &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i+j)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i+j))}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		res := cl.ProduceSync(ctx, recs...)
		cancel()
		now := time.Now().UnixMilli()
		for _, r := range res {
			if r.Err != nil {
				failed[errName(r.Err)]++
			} else {
				acked, at = append(acked, string(r.Record.Value)), append(at, now)
			}
		}
	}
	step.Emit("load", true, map[string]any{"acked": acked, "at": at, "failed": failed})
	return nil
}

// readFromStart: `n` values of `topic` from the start, with a new client (`extra`: e.g. its
// consumer group); `then`, if any, runs on that client before it closes.
func readFromStart(conn, topic string, n int, extra []kgo.Opt, then func(context.Context, *kgo.Client) error) ([]string, error) {
	o := append(opts(conn), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	cl, err := kgo.NewClient(append(o, extra...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout)
	defer cancel()
	got := []string{}
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return got, fmt.Errorf("got %d of %d: %w", len(got), n, ctx.Err())
		}
		for _, fe := range fs.Errors() {
			return got, fe.Err
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if then != nil {
		return got, then(ctx, cl)
	}
	return got, nil
}

func consume(conn, topic, group string, n int, isolation string) error {
	groupOpts := []kgo.Opt{kgo.ConsumerGroup(group), kgo.DisableAutoCommit()}
	if isolation == "read_committed" {
		groupOpts = append(groupOpts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	// "consumer": KIP-848's consumer group protocol, which franz-go speaks with a server-side
	// balancer and the range or sticky balancer.
	if os.Getenv("MATRIX_GROUP_PROTOCOL") == "consumer" {
		groupOpts = append(groupOpts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	}
	got, err := readFromStart(conn, topic, n, groupOpts,
		func(ctx context.Context, cl *kgo.Client) error { return cl.CommitUncommittedOffsets(ctx) })
	if err != nil {
		return err
	}
	step.Emit("consume", true, map[string]any{"values": got})
	return nil
}

func list(conn string) error {
	cl, err := kgo.NewClient(opts(conn)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout)
	defer cancel()
	td, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		return err
	}
	step.Emit("list", true, map[string]any{"topics": td.Names()})
	return nil
}

// create: CreateTopics (one partition each), then Metadata until every topic has its id.
func create(conn string, topics []string) error {
	from := tr.mark()
	cl, err := kgo.NewClient(opts(conn)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 2*step.Timeout)
	defer cancel()
	res, err := adm.CreateTopics(ctx, 1, 1, nil, topics...)
	if err != nil {
		return err
	}
	for _, r := range res.Sorted() {
		if r.Err != nil {
			return fmt.Errorf("%s: %w", r.Topic, r.Err)
		}
	}
	ids := map[string]string{}
	for len(ids) < len(topics) {
		td, err := adm.ListTopics(ctx, topics...)
		if err == nil {
			for _, d := range td.Sorted() {
				if d.Err == nil && len(d.Partitions) > 0 && d.Partitions[0].Leader >= 0 {
					ids[d.Topic] = fmt.Sprintf("%x", d.ID)
				}
			}
		}
		if ctx.Err() != nil {
			return fmt.Errorf("ids of %d of %d topics: %w", len(ids), len(topics), ctx.Err())
		}
		if len(ids) < len(topics) {
			time.Sleep(200 * time.Millisecond)
		}
	}
	step.Emit("create", true, map[string]any{"ids": ids, "requests": requests(tr.since(from))})
	return nil
}

// "produced" debug lines: "... to=topic[0{retrying@-1,1(UNKNOWN_TOPIC_ID: ...)}], other[0{5=>6}]".
var producedRe = regexp.MustCompile(`([^\s,\[\]=]+)\[([^\]]*)\]`)
var errNameRe = regexp.MustCompile(`\(([A-Z_]+):`)

// produceEach: one record (`value`) to each topic at once, on the connection's producer; per
// topic whether it succeeded, with how many Produce requests carried it and the error of each
// attempt that failed (retried or final).
func produceEach(conn string, topics []string, value string) error {
	cl, err := producer(conn)
	if err != nil {
		return err
	}
	from := tr.mark()
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout+5*time.Second)
	defer cancel()
	errs := make([]error, len(topics))
	var wg sync.WaitGroup
	for i, t := range topics {
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Topic: t, Value: []byte(value)}, func(_ *kgo.Record, err error) {
			errs[i] = err
			wg.Done()
		})
	}
	wg.Wait()
	lines := tr.since(from)
	per := map[string]map[string]any{}
	allOK := true
	for i, t := range topics {
		attempts, retried := 0, []string{}
		for _, l := range lines {
			if !strings.HasPrefix(l, "produced ") {
				continue
			}
			for _, m := range producedRe.FindAllStringSubmatch(l, -1) {
				if m[1] != t {
					continue
				}
				attempts++
				for _, e := range errNameRe.FindAllStringSubmatch(m[2], -1) {
					retried = append(retried, e[1])
				}
			}
		}
		r := map[string]any{"ok": errs[i] == nil, "attempts": attempts, "errors": retried}
		if errs[i] != nil {
			allOK = false
			r["error"], r["message"] = errName(errs[i]), errs[i].Error()
		}
		per[t] = r
	}
	step.Emit("produce-each", allOK, map[string]any{"topics": per, "requests": requests(lines)})
	return nil
}

// fetch: `n` values of `topic` from the start, no consumer group (Fetch names the topic by id
// from v13); the partitions franz-go set aside to retry, with why.
func fetch(conn, topic string, n int) error {
	from := tr.mark()
	got, ferr := readFromStart(conn, topic, n, nil, nil)
	lines := tr.since(from)
	stripped := []string{}
	for _, l := range lines {
		if strings.HasPrefix(l, "fetch stripped partitions") {
			stripped = append(stripped, strings.TrimPrefix(l, "fetch stripped partitions why="))
		}
	}
	rest := map[string]any{"values": got, "requests": requests(lines), "stripped": stripped}
	if ferr != nil {
		rest["error"], rest["message"] = errName(ferr), ferr.Error()
	}
	step.Emit("fetch", ferr == nil, rest)
	return nil
}

// txn: the plan's transactions in turn on one transactional client, each record acknowledged
// before its transaction ends (an aborted one is then in the log, marked aborted).
func txn(conn, topic, id string, plan []step.Transaction) error {
	cl, err := kgo.NewClient(append(opts(conn), kgo.TransactionalID(id), kgo.TransactionTimeout(10*time.Second),
		kgo.RecordDeliveryTimeout(step.Timeout))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*step.Timeout)
	defer cancel()
	for _, t := range plan {
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		for _, v := range t.Values {
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
				return err
			}
		}
		end := kgo.TryAbort
		if t.Commit {
			end = kgo.TryCommit
		}
		if err := cl.EndTransaction(ctx, end); err != nil {
			return err
		}
	}
	step.Emit("txn", true, map[string]any{"transactions": len(plan)})
	return nil
}

func main() {
	steps := step.Steps(produce, consume, list)
	steps["create"] = func(a []string) error { return create(a[0], step.Values(a[1])) }
	steps["produce-each"] = func(a []string) error { return produceEach(a[0], step.Values(a[1]), a[2]) }
	steps["fetch"] = func(a []string) error { return fetch(a[0], a[1], step.Count(a[2])) }
	steps["load"] = func(a []string) error { return load(a[0], a[1], a[2], step.Count(a[3])) }
	steps["txn"] = func(a []string) error { return txn(a[0], a[1], a[2], step.Plan(a[3])) }
	step.Run(steps, errName)
	for _, cl := range producers {
		cl.Close()
	}
}
