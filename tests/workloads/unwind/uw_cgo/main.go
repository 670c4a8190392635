// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// uw_cgo [SECS]: burns one core for SECS seconds (default 5) in c_hot, C code compiled
// without frame pointers that Go calls through cgo: main.main → main.level1 →
// main._Cfunc_c_burn → runtime.cgocall → runtime.asmcgocall (switches to the system
// stack) → C: _cgo_..._Cfunc_c_burn → c_burn → c_hot.
//
// Ground truth: every sample whose leaf is c_hot has the user stack
//
//	c_hot; c_burn; _cgo_<hash>_Cfunc_c_burn; runtime.asmcgocall; runtime.cgocall;
//	main._Cfunc_c_burn; main.level1; main.main; runtime.main; runtime.goexit
package main

/*
#cgo CFLAGS: -O2 -g -fomit-frame-pointer
#include <stdint.h>

static volatile uint64_t c_sink;

__attribute__((noipa)) static long c_hot(long units)
{
	uint64_t x = c_sink | 1;

	for (long i = 0; i < units * 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		__asm__ volatile("" : "+r"(x));
	}
	c_sink = x;
	return units;
}

__attribute__((noipa)) long c_burn(long units)
{
	long r = c_hot(units);

	__asm__ volatile("" : "+r"(r));
	return r;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

//go:noinline
func level1(units int) int {
	return int(C.c_burn(C.long(units))) + 1
}

func main() {
	secs := 5.0
	if len(os.Args) > 1 {
		v, err := strconv.ParseFloat(os.Args[1], 64)
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "uw_cgo: bad argument '%s': expected a non-negative number\n", os.Args[1])
			os.Exit(2)
		}
		secs = v
	}
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	total := 0
	for time.Now().Before(end) {
		total += level1(20)
	}
	fmt.Printf("uw_cgo: %d units\n", total)
}
