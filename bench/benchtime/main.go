// Command benchtime runs a command once and writes its wall time, user and
// system CPU time (seconds) and peak resident set (KiB) on one line,
// "wall user sys rss", like `/usr/bin/time -f "%e %U %S %M"` but to the
// microsecond rather than the hundredth of a second (a 0.15 s run measured
// in hundredths cannot show a 15% spread honestly). The command's standard
// output and error are its own.
//
//	benchtime -o time.txt jsondecode /tmp/fleet-1000.json
//
// Without -o the line goes to standard error. The exit status is the
// command's (2 when it could not be started).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/pgbaseline/pgbaseline/bench/internal/measure"
)

func main() {
	out := flag.String("o", "", "write the measurement to this file (default: standard error)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchtime [-o FILE] COMMAND [ARG ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	s, err := measure.Run(os.Stdout, os.Stderr, flag.Args()...)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "benchtime:", err)
		os.Exit(2)
	}
	line := s.String() + "\n"
	if *out == "" {
		fmt.Fprint(os.Stderr, line)
	} else if werr := os.WriteFile(*out, []byte(line), 0o644); werr != nil {
		fmt.Fprintln(os.Stderr, "benchtime:", werr)
		os.Exit(2)
	}
	if exit != nil {
		fmt.Fprintf(os.Stderr, "benchtime: %s: %v\n", flag.Arg(0), exit)
		if code := exit.ExitCode(); code > 0 {
			os.Exit(code)
		}
		os.Exit(1)
	}
}
