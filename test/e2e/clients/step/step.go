// Package step is the Go drivers' side of the client-matrix protocol (../README.md): steps from
// the command line, one JSON line each, in order.
package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Timeout bounds each step: MATRIX_TIMEOUT_MS, 15 s when it is not set.
var Timeout = 15 * time.Second

func init() {
	if ms, err := strconv.Atoi(os.Getenv("MATRIX_TIMEOUT_MS")); err == nil {
		Timeout = time.Duration(ms) * time.Millisecond
	}
}

// Emit prints a step's line: {"op":..., "ok":..., rest...}.
func Emit(op string, ok bool, rest map[string]any) {
	m := map[string]any{"op": op, "ok": ok}
	for k, v := range rest {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
}

// ErrName is the name of an error no client names: TIMEOUT for a deadline, else its Go type.
func ErrName(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "TIMEOUT"
	}
	return fmt.Sprintf("%T", err)
}

// A Step takes the fields after the op ("produce|<conn>|<topic>|<values>": conn, topic, values).
type Step func(args []string) error

// Run runs each step of the command line with its op's Step; a step that fails prints its
// error under the name `name` gives it (Kafka's name for a broker's error code).
func Run(steps map[string]Step, name func(error) string) {
	for _, arg := range os.Args[1:] {
		a := strings.Split(arg, "|")
		run, ok := steps[a[0]]
		var err error
		if !ok {
			err = fmt.Errorf("unknown step %s", a[0])
		} else {
			err = run(a[1:])
		}
		if err != nil {
			Emit(a[0], false, map[string]any{"error": name(err), "message": err.Error()})
		}
	}
}

// Values splits a step's comma-separated values.
func Values(s string) []string { return strings.Split(s, ",") }

// Count reads a step's count; a malformed one is 0.
func Count(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// Steps is the table of the steps every driver has; a driver adds its own to it. A consume
// step's isolation level ("read_committed") is "" when the step names none: the client's default.
func Steps(produce func(conn, topic string, values []string) error, consume func(conn, topic, group string, n int, isolation string) error,
	list func(conn string) error) map[string]Step {
	return map[string]Step{
		"produce": func(a []string) error { return produce(a[0], a[1], Values(a[2])) },
		"consume": func(a []string) error { return consume(a[0], a[1], a[2], Count(a[3]), Optional(a, 4)) },
		"list":    func(a []string) error { return list(a[0]) },
	}
}

// Optional is a step's field i, "" when the step has fewer.
func Optional(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

// A Transaction of a txn step's plan ("commit:v1,v2;abort:v3"): its values, and whether it is
// committed or aborted.
type Transaction struct {
	Commit bool
	Values []string
}

// Plan reads a txn step's plan.
func Plan(s string) []Transaction {
	var out []Transaction
	for _, t := range strings.Split(s, ";") {
		end, values, _ := strings.Cut(t, ":")
		out = append(out, Transaction{Commit: end == "commit", Values: Values(values)})
	}
	return out
}
