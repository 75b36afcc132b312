// Command jsondecode is the yardstick of the fleet benchmark: one plain
// encoding/json decode of a file into an any, the least work any scanner of
// that file must do.
//
//	go run ./bench/jsondecode /tmp/fleet-20000.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jsondecode FILE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	var v any
	if err := json.NewDecoder(f).Decode(&v); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("decoded")
}
