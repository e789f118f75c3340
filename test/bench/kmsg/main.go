// franz-go's kmsg on the frames test/bench/codecs.ts measures our codecs and kafkajs on: the
// bench's second peer, a generated Go codec (flat structs, one reader per message).
//
//	kmsg-bench check  <frames.bin>        one line per frame: "ok", "differs" (read, but AppendTo
//	                                      gives other bytes) or "error: ..." (ReadFrom refused it)
//	kmsg-bench decode <frames.bin> <ms>   ReadFrom into a fresh response per frame, as kafkajs
//	                                      gives a fresh object: bytes in, a Go struct out
//	kmsg-bench reencode <frames.bin> <ms> the same, then AppendTo into a reused buffer: what our
//	                                      codecs' reencode does (decode, then encode again)
//
// frames.bin: records of [apiKey int16][version int16][length int32][frame], big-endian; a
// frame is a response after its size prefix, header v0 (the correlation id), then the body
// kmsg reads. decode and reencode run the set in a loop for a warm-up of <ms>/5 (Go compiles
// ahead of time: the warm-up only sizes the heap and fills caches), then for <ms> timed, and
// print one JSON line: {"frames": n, "bytes": n, "ms": t}.
package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

type frame struct {
	apiKey, version int16
	body            []byte // after the correlation id
	size            int    // the whole frame, as codecs.ts counts bytes
}

func load(path string) ([]frame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var frames []frame
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, fmt.Errorf("%s: %d bytes left, a record header needs 8", path, len(b))
		}
		key, version, n := int16(binary.BigEndian.Uint16(b)), int16(binary.BigEndian.Uint16(b[2:])), int(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
		if n < 4 || n > len(b) {
			return nil, fmt.Errorf("%s: a frame of %d bytes with %d left", path, n, len(b))
		}
		frames = append(frames, frame{apiKey: key, version: version, body: b[4:n], size: n})
		b = b[n:]
	}
	return frames, nil
}

func read(f *frame) (kmsg.Response, error) {
	r := kmsg.ResponseForKey(f.apiKey)
	if r == nil {
		return nil, fmt.Errorf("no response type for api key %d", f.apiKey)
	}
	r.SetVersion(f.version)
	return r, r.ReadFrom(f.body)
}

// run loops over the set for ms: frames and bytes done, and the time taken.
func run(frames []frame, ms int, reencode bool) (int, int, float64) {
	var buf []byte
	done, bytes := 0, 0
	t0 := time.Now()
	limit := time.Duration(ms) * time.Millisecond
	for time.Since(t0) < limit {
		for i := range frames {
			r, err := read(&frames[i])
			if err != nil {
				panic(err) // check excluded these
			}
			if reencode {
				buf = r.AppendTo(buf[:0])
			}
			bytes += frames[i].size
		}
		done += len(frames)
	}
	return done, bytes, float64(time.Since(t0).Microseconds()) / 1000
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: kmsg-bench check|decode|reencode <frames.bin> [ms]")
		os.Exit(2)
	}
	frames, err := load(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch mode := os.Args[1]; mode {
	case "check":
		for i := range frames {
			r, err := read(&frames[i])
			switch {
			case err != nil:
				fmt.Println("error:", err)
			case string(r.AppendTo(nil)) != string(frames[i].body):
				fmt.Println("differs")
			default:
				fmt.Println("ok")
			}
		}
	case "decode", "reencode":
		ms, err := strconv.Atoi(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, "ms:", err)
			os.Exit(2)
		}
		run(frames, ms/5, mode == "reencode")
		n, bytes, took := run(frames, ms, mode == "reencode")
		out, _ := json.Marshal(map[string]any{"frames": n, "bytes": bytes, "ms": took})
		fmt.Println(string(out))
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
}
