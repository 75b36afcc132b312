package store_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pgbaseline/pgbaseline/baseline"
	"github.com/pgbaseline/pgbaseline/bench/fleet"
	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/internal/scan"
	"github.com/pgbaseline/pgbaseline/internal/store"
	"github.com/pgbaseline/pgbaseline/report"
)

// TestStorageBytesPerServer scans a generated fleet of 100 servers and
// records it twice in SQLite: each scan costs at most 40 KB per server on
// disk (it cost 93 KB, plus as much again in the write-ahead log, before
// results shared their texts), and the write-ahead log is truncated after
// each large write.
func TestStorageBytesPerServer(t *testing.T) {
	const servers = 100
	dir := t.TempDir()
	export := filepath.Join(dir, "fleet.json")
	f, err := os.Create(export)
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.WriteExport(f, servers); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cat, err := baseline.Load()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := scan.NewEngine(cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Run(ctx, scan.Options{Paths: []string{export}, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "size.db")
	st := mustOpen(t, "sqlite:"+db)
	empty := size(db)
	for i := 1; i <= 2; i++ {
		sc := doneScan(t, st, "fleet", rep)
		perServer := (size(db) + size(db+"-wal") - empty) / int64(i*servers)
		t.Logf("after %d scans of %d servers (%d results): %d bytes per server per scan, WAL %d bytes",
			i, servers, len(rep.Results), perServer, size(db+"-wal"))
		if perServer > 40<<10 {
			t.Errorf("%d bytes per server per scan, want at most 40 KB", perServer)
		}
		if w := size(db + "-wal"); w != 0 {
			t.Errorf("the write-ahead log is %d bytes after recording scan %s, want it truncated", w, sc.ID)
		}
		got, err := st.Results(ctx, sc.ID, store.ResultFilter{})
		if err != nil || len(got) != len(rep.Results) {
			t.Fatalf("read back %d results, want %d (%v)", len(got), len(rep.Results), err)
		}
	}
}

// TestMeasureStorage records the report in $PGB_MEASURE_REPORT (a JSON
// report, e.g. of bench/genfleet's export) in a fresh SQLite store and
// logs the bytes on disk. It only measures; docs/reliability.md quotes it.
func TestMeasureStorage(t *testing.T) {
	path := os.Getenv("PGB_MEASURE_REPORT")
	if path == "" {
		t.Skip("set PGB_MEASURE_REPORT to a JSON report")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	st := mustOpen(t, "sqlite:"+db)
	for i := range 2 {
		sc, err := st.CreateScan(ctx, "fleet", "api:measure")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.StartScan(ctx, sc.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishScan(ctx, sc.ID, &rep, nil); err != nil {
			t.Fatal(err)
		}
		servers := 0
		for _, r := range rep.Resources {
			if r.Type == "Microsoft.DBforPostgreSQL/flexibleServers" {
				servers++
			}
		}
		t.Logf("after scan %d: report %d bytes of JSON, %d results, %d servers: db %d bytes, wal %d bytes",
			i+1, len(b), len(rep.Results), servers, size(db), size(db+"-wal"))
	}
	c := pgtest.Start(t, pgtest.Config{})
	c.Exec(t, "CREATE DATABASE measure")
	pg := mustOpen(t, PostgresURL(c, "measure"))
	dbSize := func() int64 {
		var n int64
		if err := pg.WriteDB().QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	base := dbSize()
	for i := 1; i <= 2; i++ {
		doneScan(t, pg, "fleet", &rep)
		t.Logf("PostgreSQL after scan %d: %d bytes more than empty", i, dbSize()-base)
	}
}

func size(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
