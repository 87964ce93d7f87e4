// The doctor oracle's probe, in Go: the same protocol as oracle_bind.c.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	fmt.Println("started")
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Println("bind:", err)
		os.Exit(3)
	}
	l.Close()
	fmt.Println("bound")
}
