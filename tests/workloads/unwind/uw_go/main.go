// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// uw_go [SECS]: burns one core for SECS seconds (default 5), in turns in main.hot, always
// called main.main → main.level1 → main.hot, and in Go's traceback code, which
// runtime.Stack runs on the system stack: main.main → main.traces → runtime.Stack →
// runtime.systemstack (switches to g0) → runtime.Stack.func1. Pure Go (frame pointers, and
// .debug_frame unless stripped).
//
// Ground truth: every sample whose leaf is main.hot has the user stack
//
//	main.hot; main.level1; main.main; runtime.main; runtime.goexit
//
// and every sample with runtime.Stack.func1 has, from that frame on,
//
//	runtime.Stack.func1; runtime.systemstack; runtime.Stack; main.traces; main.main;
//	runtime.main; runtime.goexit
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

var (
	sink     uint64
	stackBuf = make([]byte, 4096)
)

// hot is a leaf without a frame of its own (no calls): a frame-pointer unwinder that
// does not know its stack delta loses its caller.
//
//go:noinline
func hot(iters int) uint64 {
	x := sink | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

//go:noinline
func level1(units int) uint64 {
	return hot(units*100000) + 1
}

// traces takes n stack traces of its own goroutine.
//
//go:noinline
func traces(n int) int {
	total := 0
	for i := 0; i < n; i++ {
		total += runtime.Stack(stackBuf, false)
	}
	return total
}

func main() {
	secs := 5.0
	if len(os.Args) > 1 {
		v, err := strconv.ParseFloat(os.Args[1], 64)
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "uw_go: bad argument '%s': expected a non-negative number\n", os.Args[1])
			os.Exit(2)
		}
		secs = v
	}
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	rounds := 0
	for time.Now().Before(end) {
		sink = level1(20)
		sink += uint64(traces(2000))
		rounds++
	}
	fmt.Printf("uw_go: %d rounds\n", rounds)
}
