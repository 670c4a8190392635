// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// uw_gosha [SECS]: burns one core for SECS seconds (default 5) hashing a 64 KiB buffer with
// crypto/sha256: main.main → main.level1 → main.digest → sha256.Sum256 →
// sha256.(*digest).Write → sha256.block, Go's assembly, whose AVX2 path uses rbp as a
// scratch register (TBL in sha256block_amd64.s): in its loop rbp is no frame pointer, and
// only the runtime's stack-pointer table (.gopclntab's pcsp) or .debug_frame gives its
// caller. The Makefile also builds it with -ldflags='-s -w' (uw_gosha_stripped): no
// .debug_frame and no symbols, .gopclntab only.
//
// Ground truth: every sample whose leaf is crypto/sha256.block has the user stack
//
//	crypto/sha256.block; crypto/sha256.(*digest).Write; crypto/sha256.Sum256; main.digest;
//	main.level1; main.main; runtime.main; runtime.goexit
//
// or, while the final padding block is hashed, crypto/sha256.(*digest).checkSum between
// Write and Sum256.
//
// (sha256.Sum256's own frame may be shown as inlined into main.digest's).
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strconv"
	"time"
)

var (
	buf  = make([]byte, 64<<10)
	sink byte
)

// digest hashes buf rounds times.
//
//go:noinline
func digest(rounds int) byte {
	var x byte
	for i := 0; i < rounds; i++ {
		buf[0] = byte(i)
		sum := sha256.Sum256(buf)
		x ^= sum[0]
	}
	return x
}

//go:noinline
func level1(rounds int) byte {
	return digest(rounds) + 1
}

func main() {
	secs := 5.0
	if len(os.Args) > 1 {
		v, err := strconv.ParseFloat(os.Args[1], 64)
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "uw_gosha: bad argument '%s': expected a non-negative number\n", os.Args[1])
			os.Exit(2)
		}
		secs = v
	}
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	rounds := 0
	for time.Now().Before(end) {
		// ~25 ms a round: few samples land in time.Now, whose vDSO call is unwound by
		// frame pointers (on the system stack: user/unwind/cfi_go.h).
		sink ^= level1(100)
		rounds++
	}
	fmt.Printf("uw_gosha: %d rounds\n", rounds)
}
