// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// goprofself OUT [SECS]: CPU-profiles itself with Go's runtime/pprof for SECS seconds
// (default 1) and writes the profile to OUT, as a Go service's own profile would be.
//
// Ground truth: main → spin → hotA / hotB, hotA doing three times hotB's work per round,
// so of the CPU time hotA has about 75% and hotB 25%; hotA is the top function.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func burn(n int) {
	x := sink
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

//go:noinline
func hotA() { burn(300000) }

//go:noinline
func hotB() { burn(100000) }

func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		hotA()
		hotB()
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goprofself OUT [SECS]")
		os.Exit(2)
	}
	secs := 1.0
	if len(os.Args) > 2 {
		if v, err := strconv.ParseFloat(os.Args[2], 64); err == nil && v > 0 {
			secs = v
		}
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	spin(time.Duration(secs * float64(time.Second)))
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
