package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/pgbaseline/pgbaseline/arm"
	"github.com/pgbaseline/pgbaseline/internal/flexserver"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/source/armexport"
	"github.com/pgbaseline/pgbaseline/internal/source/detect"
	"github.com/pgbaseline/pgbaseline/jsonpos"
	"github.com/pgbaseline/pgbaseline/report"
)

// benchSizes are the fleet sizes of the benchmarks; CI runs them once each
// (-benchtime=1x), bench/run.sh times the bigger fleets as whole processes.
var benchSizes = []int{100, 1000}

// BenchmarkScan runs the whole scan (read, every rule, report assembly) of
// each generator's fleet.
func BenchmarkScan(b *testing.B) {
	e := newEngine(b)
	for k, kind := range kinds {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/servers=%d", kind.name, n), func(b *testing.B) {
				path := writeFleet(b, k, n)
				b.ReportAllocs()
				for b.Loop() {
					if rep := scanPath(b, e, path); len(rep.Errors) > 0 {
						b.Fatal(rep.Errors)
					}
				}
			})
		}
	}
}

func exportBytes(b *testing.B, n int) []byte {
	var buf bytes.Buffer
	if err := WriteExport(&buf, n); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkDecode compares the position-recording decoder with one plain
// encoding/json decode into an any, the yardstick of docs/benchmarks.md.
func BenchmarkDecode(b *testing.B) {
	data := exportBytes(b, 1000)
	b.Run("jsonpos", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := jsonpos.Decode(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkArmexport reads a 1,000-server export into ARM resources.
func BenchmarkArmexport(b *testing.B) {
	data := exportBytes(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if in := armexport.Parse("fleet.json", data); len(in.Errors) > 0 {
			b.Fatal(in.Errors)
		}
	}
}

// fleetSet reads a fleet export into a completed resource set.
func fleetSet(b *testing.B, n int) *arm.Set {
	in := armexport.Parse("fleet.json", exportBytes(b, n))
	set := arm.NewSet(in.Resources...)
	if err := flexserver.Complete(set); err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkEvaluate runs every rule (the policy engine's built-in and custom
// definitions and the Go rules) on a 1,000-server fleet already read.
func BenchmarkEvaluate(b *testing.B) {
	e := newEngine(b)
	set := fleetSet(b, 1000)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if len(e.Evaluate(set, now)) == 0 {
			b.Fatal("no results")
		}
	}
}

// BenchmarkReportJSON writes the JSON report of a 1,000-server scan.
func BenchmarkReportJSON(b *testing.B) {
	e := newEngine(b)
	rep := scanPath(b, e, writeFleet(b, 0, 1000))
	b.ReportAllocs()
	for b.Loop() {
		if err := report.Write(io.Discard, rep, report.FormatJSON, report.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanJSON compares the ways to a JSON report of a 1,000-server
// export: Run then report.Write, which holds every result; RunJSON, which
// streams them; and RunJSON reading the export one server at a time, as
// the CLI does with large exports.
func BenchmarkScanJSON(b *testing.B) {
	e := newEngine(b)
	path := writeFleet(b, 0, 1000)
	o := scan.Options{Paths: []string{path}, Loader: detect.Loader(detect.Options{})}
	b.Run("run+write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rep, err := e.Run(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			if err := report.Write(io.Discard, rep, report.FormatJSON, report.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("runjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.RunJSON(context.Background(), o, io.Discard, "never"); err != nil {
				b.Fatal(err)
			}
		}
	})
	lazy := detect.Loader(detect.Options{})
	lazy.LazyMin = 1
	fo := scan.Options{Paths: []string{path}, Loader: lazy}
	b.Run("runjson-fleet", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := e.RunJSON(context.Background(), fo, io.Discard, "never"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
