// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause

// goidle [SECS]: a Go service idling on the network for SECS seconds (default 5): a TCP
// server on 127.0.0.1 accepts one connection and reads from it (serve), while a client
// goroutine sends it one byte per second (client). Prints "goidle: pid P" first.
//
// Ground truth: almost no CPU time. The goroutines spend the run parked in the Go
// scheduler, not in system calls: what the threads wait in is the netpoller
// (runtime.netpoll → epoll_pwait) and idle Ms sleeping on futexes (runtime.notesleep →
// runtime.futexsleep), plus sysmon's usleep. A thread-level block profile shows those;
// the goroutines' own frames (main.serve, main.client) are on no thread's stack while
// they wait.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

//go:noinline
func serve(c net.Conn) {
	buf := make([]byte, 64)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

//go:noinline
func client(addr string, end time.Time) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goidle:", err)
		os.Exit(1)
	}
	for {
		if _, err := c.Write([]byte{1}); err != nil {
			return
		}
		left := time.Until(end)
		if left <= 0 {
			return
		}
		if left > time.Second {
			left = time.Second
		}
		time.Sleep(left)
	}
}

func main() {
	secs := 5.0
	if len(os.Args) > 1 {
		v, err := strconv.ParseFloat(os.Args[1], 64)
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "%s: bad argument '%s': expected a non-negative number\n",
				os.Args[0], os.Args[1])
			os.Exit(2)
		}
		secs = v
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "goidle:", err)
		os.Exit(1)
	}
	fmt.Printf("goidle: pid %d\n", os.Getpid())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	client(ln.Addr().String(), time.Now().Add(time.Duration(secs*float64(time.Second))))
}
