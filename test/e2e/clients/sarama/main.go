// Client-matrix driver for sarama (github.com/IBM/sarama): the steps given as arguments, one
// JSON line each (test/e2e/clients/README.md). One SyncProducer per connection serves every
// produce step of that connection.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"kafka-wasm-filter/e2e/clients/step"
)

// kafkaNames: sarama's KError prints a sentence; the matrix wants Kafka's name for the codes it checks.
var kafkaNames = map[sarama.KError]string{
	sarama.ErrTopicAuthorizationFailed:           "TOPIC_AUTHORIZATION_FAILED",
	sarama.ErrGroupAuthorizationFailed:           "GROUP_AUTHORIZATION_FAILED",
	sarama.ErrClusterAuthorizationFailed:         "CLUSTER_AUTHORIZATION_FAILED",
	sarama.ErrUnknownTopicOrPartition:            "UNKNOWN_TOPIC_OR_PARTITION",
	sarama.ErrTransactionalIDAuthorizationFailed: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
}

// errName: Kafka's name for the codes the matrix checks, KError(code) for others.
func errName(err error) string {
	var ke sarama.KError
	if errors.As(err, &ke) {
		if n, ok := kafkaNames[ke]; ok {
			return n
		}
		return fmt.Sprintf("KError(%d)", int16(ke))
	}
	return step.ErrName(err)
}

// conn: "@host:port" or "MECHANISM:user:password@host:port".
func config(conn string) (*sarama.Config, []string) {
	at := strings.LastIndex(conn, "@")
	c := sarama.NewConfig()
	c.Version = sarama.V3_0_0_0
	c.Net.DialTimeout = 5 * time.Second
	c.Net.ReadTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 2
	if at > 0 {
		a := strings.SplitN(conn[:at], ":", 3)
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLMechanism(a[0])
		c.Net.SASL.User, c.Net.SASL.Password = a[1], a[2]
	}
	return c, []string{conn[at+1:]}
}

var producers = map[string]sarama.SyncProducer{}

func produce(conn, topic string, values []string) error {
	p := producers[conn]
	if p == nil {
		c, brokers := config(conn)
		c.Producer.RequiredAcks = sarama.WaitForAll
		c.Producer.Return.Successes = true
		c.Producer.Retry.Max = 2
		var err error
		if p, err = sarama.NewSyncProducer(brokers, c); err != nil {
			return err
		}
		producers[conn] = p
	}
	for _, v := range values {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(v)}); err != nil {
			return err
		}
	}
	step.Emit("produce", true, map[string]any{"count": len(values)})
	return nil
}

type handler struct {
	n    int
	got  []string
	done chan struct{}
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.got = append(h.got, string(m.Value))
		s.MarkMessage(m, "")
		if len(h.got) == h.n {
			s.Commit()
			close(h.done)
			return nil
		}
	}
	return nil
}

func consume(conn, topic, group string, n int, isolation string) error {
	c, brokers := config(conn)
	if isolation == "read_committed" {
		c.Consumer.IsolationLevel = sarama.ReadCommitted
	}
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.Return.Errors = true
	g, err := sarama.NewConsumerGroup(brokers, group, c)
	if err != nil {
		return err
	}
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), step.Timeout)
	defer cancel()
	h := &handler{n: n, done: make(chan struct{})}
	errc := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, h); err != nil {
				errc <- err
				return
			}
			select {
			case <-h.done:
				return
			default:
			}
		}
	}()
	select {
	case <-h.done:
	case err := <-errc:
		return err
	case err := <-g.Errors():
		return err
	case <-ctx.Done():
		return fmt.Errorf("got %d of %d: %w", len(h.got), n, ctx.Err())
	}
	step.Emit("consume", true, map[string]any{"values": h.got})
	return nil
}

func list(conn string) error {
	c, brokers := config(conn)
	a, err := sarama.NewClusterAdmin(brokers, c)
	if err != nil {
		return err
	}
	defer a.Close()
	topics, err := a.ListTopics()
	if err != nil {
		return err
	}
	names := []string{}
	for t := range topics {
		names = append(names, t)
	}
	step.Emit("list", true, map[string]any{"topics": names})
	return nil
}

// txn: the plan's transactions in turn on one transactional SyncProducer.
func txn(conn, topic, id string, plan []step.Transaction) error {
	c, brokers := config(conn)
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Return.Successes = true
	c.Producer.Idempotent = true
	c.Producer.Transaction.ID = id
	c.Producer.Transaction.Timeout = 10 * time.Second
	c.Net.MaxOpenRequests = 1
	p, err := sarama.NewSyncProducer(brokers, c)
	if err != nil {
		return err
	}
	defer p.Close()
	for _, t := range plan {
		if err := p.BeginTxn(); err != nil {
			return err
		}
		for _, v := range t.Values {
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(v)}); err != nil {
				return err
			}
		}
		end := p.AbortTxn
		if t.Commit {
			end = p.CommitTxn
		}
		if err := end(); err != nil {
			return err
		}
	}
	step.Emit("txn", true, map[string]any{"transactions": len(plan)})
	return nil
}

func main() {
	steps := step.Steps(produce, consume, list)
	steps["txn"] = func(a []string) error { return txn(a[0], a[1], a[2], step.Plan(a[3])) }
	step.Run(steps, errName)
	for _, p := range producers {
		p.Close()
	}
}
