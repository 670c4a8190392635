// gospin [SECS]: burns one core for SECS seconds (default 2) in a loop the Go compiler
// inlines (mix, into work). Built stripped (-s -w, tests/workloads/sym.mk): only
// .gopclntab names its code, with mix as an inline frame of work at the lines marked HOT
// and CALL.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

var sink uint64

func mix(x uint64) uint64 {
	for i := 0; i < 64; i++ { // HOT
		x ^= x << 13 // HOT
		x ^= x >> 7  // HOT
		x ^= x << 17 // HOT
	}
	return x
}

//go:noinline
func work(seed uint64) uint64 {
	acc := seed
	for i := 0; i < 1<<14; i++ {
		acc = mix(acc + uint64(i)) // CALL
	}
	return acc
}

func main() {
	secs := 2.0
	if len(os.Args) > 1 {
		secs, _ = strconv.ParseFloat(os.Args[1], 64)
	}
	start := time.Now()
	rounds := 0
	for time.Since(start).Seconds() < secs {
		sink = work(sink + uint64(rounds))
		rounds++
	}
	fmt.Println("gospin:", rounds, "rounds")
}
