// Command genfleet writes a synthetic fleet of Azure Database for PostgreSQL
// flexible servers for benchmarks (see package fleet): an ARM export
// ({"value": [...]}, the default), a Terraform module (main.tf) or an ARM
// template. Servers alternate between hardened and weak settings so that
// every rule has both outcomes.
//
//	go run ./bench/genfleet -servers 20000 -o /tmp/fleet-20000.json
//	go run ./bench/genfleet -kind terraform -servers 2000 -o /tmp/tf-2000/main.tf
//	go run ./bench/genfleet -kind armtemplate -servers 1000 -o /tmp/template.json
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pgbaseline/pgbaseline/bench/fleet"
)

func main() {
	n := flag.Int("servers", 1000, "number of servers")
	kind := flag.String("kind", "export", "what to write: export, terraform or armtemplate")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	write := map[string]func(io.Writer, int) error{
		"export": fleet.WriteExport, "terraform": fleet.WriteTerraform, "armtemplate": fleet.WriteARMTemplate,
	}[*kind]
	if write == nil {
		fmt.Fprintf(os.Stderr, "genfleet: -kind %q: use export, terraform or armtemplate\n", *kind)
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "genfleet:", err)
			os.Exit(2)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := write(bw, *n); err != nil {
		fmt.Fprintln(os.Stderr, "genfleet:", err)
		os.Exit(2)
	}
	if err := bw.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genfleet:", err)
		os.Exit(2)
	}
}
