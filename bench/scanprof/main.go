// Command scanprof runs the scan pipeline of `pgbaseline scan --format
// json` (every rule, the JSON report) on the named paths and prints the time
// and live heap of each phase on stderr, for performance work:
//
//	go run ./bench/scanprof -o /dev/null -cpuprofile cpu.prof -memprofile mem.prof /tmp/fleet-20000.json
//
// -stream writes the report while evaluating, as Engine.RunJSON does, and
// reads large exports one server at a time, as the CLI does.
// -memprofile writes the heap profile taken after the evaluation, when the
// resources and the results are all live (with -stream little is live then:
// read its alloc_space samples, or add -memprofile-at 5s to take it after a
// collection five seconds into the run).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/report"
)

func main() {
	out := flag.String("o", "/dev/null", "report file")
	cpu := flag.String("cpuprofile", "", "write a CPU profile to `FILE`")
	mem := flag.String("memprofile", "", "write a heap profile, taken after the evaluation, to `FILE`")
	stream := flag.Bool("stream", false, "write the report while evaluating (Engine.RunJSON)")
	memAt := flag.Duration("memprofile-at", 0, "take the -memprofile heap profile this long after the start (after a GC), to see what is live mid-run")
	flag.Parse()
	if *memAt > 0 && *mem != "" {
		path := *mem
		*mem = ""
		time.AfterFunc(*memAt, func() {
			runtime.GC()
			if err := writeHeap(path); err != nil {
				fmt.Fprintln(os.Stderr, "scanprof:", err)
			}
		})
	}
	if err := run(flag.Args(), *out, *cpu, *mem, *stream); err != nil {
		fmt.Fprintln(os.Stderr, "scanprof:", err)
		os.Exit(2)
	}
}

func run(paths []string, out, cpu, mem string, stream bool) error {
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	phase := func(name string) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(os.Stderr, "%-10s %7.2f s  heap %6d MB  sys %6d MB  gc %d\n", name, time.Since(start).Seconds(),
			m.HeapAlloc>>20, m.Sys>>20, m.NumGC)
	}
	cat, err := baseline.Load()
	if err != nil {
		return err
	}
	engine, err := scan.NewEngine(cat, nil)
	if err != nil {
		return err
	}
	phase("engine")
	loader := detect.Loader(detect.Options{})
	if stream {
		loader.LazyMin = scan.DefaultLazyMin // as the CLI: large exports read one server at a time
	}
	o := scan.Options{Paths: paths, Loader: loader, ToolVersion: "bench"}
	if stream {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		rep, code, err := engine.RunJSON(context.Background(), o, f, "never")
		if err != nil {
			return err
		}
		phase("runjson")
		if mem != "" {
			if err := writeHeap(mem); err != nil {
				return err
			}
		}
		fmt.Fprintf(os.Stderr, "%d resources, %d results, %d errors, exit %d\n", len(rep.Resources), rep.Summary.Total, len(rep.Errors), code)
		return f.Close()
	}
	rep, err := engine.Run(context.Background(), o)
	if err != nil {
		return err
	}
	phase("run")
	if mem != "" {
		if err := writeHeap(mem); err != nil {
			return err
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := report.Write(f, rep, report.FormatJSON, report.Options{}); err != nil {
		return err
	}
	phase("write")
	fmt.Fprintf(os.Stderr, "%d resources, %d results, %d errors\n", len(rep.Resources), len(rep.Results), len(rep.Errors))
	return f.Close()
}

// writeHeap writes the heap profile to path. With -stream it is taken after
// the run, when little is live: read its alloc_space samples.
func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
