// A Go server as Go servers are: the runtime makes the bind system call itself, no libc.
// Built by the tests with CGO_ENABLED=0. Usage: cgroup_server PORT. Answers each TCP client on
// 127.0.0.1:PORT with "go uid=U pid=P".
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(3)
	}
	fmt.Println("bound", os.Args[1])
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		fmt.Fprintf(c, "go uid=%d pid=%d\n", os.Getuid(), os.Getpid())
		c.Close()
	}
}
