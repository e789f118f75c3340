// Client-matrix driver for kafka-go (github.com/segmentio/kafka-go, its own protocol code): the
// steps given as arguments, one JSON line each (test/e2e/clients/README.md). One Writer per
// connection serves every produce step of that connection.
package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"kafka-wasm-filter/e2e/clients/step"
)

// kafka.Error's Title() is Kafka's name in words ("Topic Authorization Failed"); the matrix wants
// Kafka's name, which is those words in upper case joined by underscores.
func kafkaName(e kafka.Error) string {
	return strings.ToUpper(strings.ReplaceAll(e.Title(), " ", "_"))
}

// errName: Kafka's name for a broker's error (the first of a write's), else step.ErrName.
func errName(err error) string {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil {
				err = e
				break
			}
		}
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		return kafkaName(ke)
	}
	return step.ErrName(err)
}

// conn: "@host:port" or "MECHANISM:user:password@host:port".
func parse(conn string) (string, sasl.Mechanism, error) {
	at := strings.LastIndex(conn, "@")
	if at <= 0 {
		return conn[at+1:], nil, nil
	}
	a := strings.SplitN(conn[:at], ":", 3)
	switch a[0] {
	case "PLAIN":
		return conn[at+1:], plain.Mechanism{Username: a[1], Password: a[2]}, nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		algo := scram.SHA256
		if a[0] == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, a[1], a[2])
		return conn[at+1:], m, err
	}
	return "", nil, fmt.Errorf("unknown mechanism %s", a[0])
}

func dialer(conn string) (*kafka.Dialer, string, error) {
	addr, m, err := parse(conn)
	return &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: m}, addr, err
}

func transport(conn string) (*kafka.Transport, string, error) {
	addr, m, err := parse(conn)
	return &kafka.Transport{DialTimeout: 5 * time.Second, SASL: m, MetadataTTL: time.Second}, addr, err
}

var writers = map[string]*kafka.Writer{}

func produce(conn, topic string, values []string) error {
	w := writers[conn]
	if w == nil {
		t, addr, err := transport(conn)
		if err != nil {
			return err
		}
		w = &kafka.Writer{Addr: kafka.TCP(addr), Transport: t, RequiredAcks: kafka.RequireAll, BatchTimeout: 10 * time.Millisecond,
			WriteTimeout: step.Timeout, MaxAttempts: 3}
		writers[conn] = w
	}
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout)
	defer cancel()
	for _, v := range values {
		if err := w.WriteMessages(ctx, kafka.Message{Topic: topic, Value: []byte(v)}); err != nil {
			return err
		}
	}
	step.Emit("produce", true, map[string]any{"count": len(values)})
	return nil
}

func consume(conn, topic, group string, n int, isolation string) error {
	d, addr, err := dialer(conn)
	if err != nil {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Dialer: d, GroupID: group, Topic: topic,
		StartOffset: kafka.FirstOffset, MaxWait: 300 * time.Millisecond, HeartbeatInterval: time.Second,
		SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second, MaxAttempts: 3,
		IsolationLevel: isolationLevel(isolation)})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout)
	defer cancel()
	got := []string{}
	var last kafka.Message
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("got %d of %d: %w", len(got), n, err)
			}
			return err
		}
		got = append(got, string(m.Value))
		last = m
	}
	if err := r.CommitMessages(ctx, last); err != nil {
		return err
	}
	step.Emit("consume", true, map[string]any{"values": got})
	return nil
}

func isolationLevel(isolation string) kafka.IsolationLevel {
	if isolation == "read_committed" {
		return kafka.ReadCommitted
	}
	return kafka.ReadUncommitted
}

func list(conn string) error {
	t, addr, err := transport(conn)
	if err != nil {
		return err
	}
	c := &kafka.Client{Addr: kafka.TCP(addr), Transport: t, Timeout: step.Timeout}
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout)
	defer cancel()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Addr: kafka.TCP(addr)})
	if err != nil {
		return err
	}
	names := []string{}
	for _, t := range md.Topics {
		if t.Error != nil {
			return t.Error
		}
		names = append(names, t.Name)
	}
	sort.Strings(names)
	step.Emit("list", true, map[string]any{"topics": names})
	return nil
}

func main() {
	step.Run(step.Steps(produce, consume, list), errName)
	for _, w := range writers {
		w.Close()
	}
}
