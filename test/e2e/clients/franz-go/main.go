// Client-matrix driver for franz-go (github.com/twmb/franz-go): the steps given as arguments,
// one JSON line each (test/e2e/clients/README.md). One client per connection serves every
// produce step of that connection.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

var timeout = 15 * time.Second

func emit(op string, ok bool, rest map[string]any) {
	m := map[string]any{"op": op, "ok": ok}
	for k, v := range rest {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
}

func fail(op string, err error) {
	name := fmt.Sprintf("%T", err)
	var ke *kerr.Error
	if errors.As(err, &ke) {
		name = ke.Message
	} else if errors.Is(err, context.DeadlineExceeded) {
		name = "TIMEOUT"
	}
	emit(op, false, map[string]any{"error": name, "message": err.Error()})
}

// conn: "@host:port" or "MECHANISM:user:password@host:port".
func opts(conn string) []kgo.Opt {
	at := strings.LastIndex(conn, "@")
	o := []kgo.Opt{kgo.SeedBrokers(conn[at+1:]), kgo.RequestTimeoutOverhead(10 * time.Second)}
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

func produce(conn, topic string, values []string) error {
	cl := producers[conn]
	if cl == nil {
		var err error
		if cl, err = kgo.NewClient(append(opts(conn), kgo.RecordDeliveryTimeout(timeout))...); err != nil {
			return err
		}
		producers[conn] = cl
	}
	for _, v := range values {
		ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
		err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr()
		cancel()
		if err != nil {
			return err
		}
	}
	emit("produce", true, map[string]any{"count": len(values)})
	return nil
}

func consume(conn, topic, group string, n int) error {
	cl, err := kgo.NewClient(append(opts(conn), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := []string{}
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return fmt.Errorf("got %d of %d: %w", len(got), n, ctx.Err())
		}
		for _, fe := range fs.Errors() {
			return fe.Err
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		return err
	}
	emit("consume", true, map[string]any{"values": got})
	return nil
}

func list(conn string) error {
	cl, err := kgo.NewClient(opts(conn)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	td, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		return err
	}
	emit("list", true, map[string]any{"topics": td.Names()})
	return nil
}

func main() {
	if ms, err := strconv.Atoi(os.Getenv("MATRIX_TIMEOUT_MS")); err == nil {
		timeout = time.Duration(ms) * time.Millisecond
	}
	for _, step := range os.Args[1:] {
		a := strings.Split(step, "|")
		var err error
		switch a[0] {
		case "produce":
			err = produce(a[1], a[2], strings.Split(a[3], ","))
		case "consume":
			n, _ := strconv.Atoi(a[4])
			err = consume(a[1], a[2], a[3], n)
		case "list":
			err = list(a[1])
		default:
			err = fmt.Errorf("unknown step %s", a[0])
		}
		if err != nil {
			fail(a[0], err)
		}
	}
	for _, cl := range producers {
		cl.Close()
	}
}
