package store_test

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
	"github.com/pgbaseline/pgbaseline/internal/store"
)

func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := store.Migrations(store.DialectSQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.DialectPostgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: SQLite %s, PostgreSQL %s", i, lite[i].Name, pg[i].Name)
		}
	}
	if _, err := store.Migrations("mysql"); err == nil {
		t.Error("migrations for an unknown dialect")
	}
}

func latestVersions(t *testing.T) []int {
	ms, _ := store.Migrations(store.DialectSQLite)
	var out []int
	for _, m := range ms {
		out = append(out, m.Version)
	}
	return out
}

// TestMigrateTwice: reopening a store migrates nothing and keeps the data;
// a database migrated by a newer pgbaseline is refused.
func TestMigrateTwice(t *testing.T) {
	for name, setup := range backends() {
		t.Run(name, func(t *testing.T) {
			open := setup(t)
			st := open(t)
			sc, err := st.CreateScan(ctx, "infra", "startup")
			if err != nil {
				t.Fatal(err)
			}
			url := storeURL(t, st)
			st.Close()
			again := mustOpen(t, url)
			if v, err := store.SchemaVersions(ctx, again); err != nil || !reflect.DeepEqual(v, latestVersions(t)) {
				t.Fatalf("schema versions after two opens = %v, %v; want %v", v, err, latestVersions(t))
			}
			if got, err := again.GetScan(ctx, sc.ID); err != nil || got.Target != "infra" {
				t.Fatalf("scan after reopening = %+v, %v", got, err)
			}
			if _, err := again.WriteDB().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_us) VALUES (9999, '9999_future.sql', 0)`); err != nil {
				t.Fatal(err)
			}
			again.Close()
			_, err = store.Open(ctx, url)
			if err == nil || !strings.Contains(err.Error(), "version 9999, newer than this pgbaseline knows") {
				t.Fatalf("opening a database from the future: %v", err)
			}
			if strings.Contains(err.Error(), "@") && !strings.Contains(err.Error(), "xxxxx") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// storeURL recovers the URL a test store was opened with.
func storeURL(t *testing.T, st store.Backend) string {
	t.Helper()
	u, ok := openedURLs.Load(st)
	if !ok {
		t.Fatal("store not opened by mustOpen")
	}
	return u.(string)
}

func TestSQLitePragmas(t *testing.T) {
	st := mustOpen(t, SQLiteURL(t))
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var got string
		if err := st.WriteDB().QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

// TestPostgresReplicasMigrateAtOnce: replicas starting together on an
// empty database all open it, and the schema is migrated once.
func TestPostgresReplicasMigrateAtOnce(t *testing.T) {
	c := pgtest.Start(t, pgtest.Config{})
	c.Exec(t, "CREATE DATABASE replicas")
	url := PostgresURL(c, "replicas")
	const n = 6
	var wg sync.WaitGroup
	stores := make([]store.Backend, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.Open(context.Background(), url)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		defer stores[i].Close()
	}
	v, err := store.SchemaVersions(ctx, stores[0])
	if err != nil || !reflect.DeepEqual(v, latestVersions(t)) {
		t.Fatalf("schema versions = %v, %v", v, err)
	}
	if got, want := c.QueryString(t, "replicas", "SELECT count(*)::text FROM schema_migrations"), fmt.Sprint(len(latestVersions(t))); got != want {
		t.Fatalf("%s schema_migrations rows, want %s (one per migration)", got, want)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"mysql://root:hunter2@db/x", "use sqlite:FILE or postgres://"},
		{"sqlite:", "name a file"},
		{"sqlite::memory:", "name a file"},
		{"postgres://scanner:hunter2@127.0.0.1:1/x?connect_timeout=2", "127.0.0.1:1"},
		{"postgres://scanner@127.0.0.1:1/x?password=hunter2&connect_timeout=2", "127.0.0.1:1"},
		{"postgres://scanner:hunter2@x@127.0.0.1:1/x?connect_timeout=2", "must be percent-encoded"},
		{"postgres://scanner:hun/ter2@127.0.0.1:1/x?connect_timeout=2", "must be percent-encoded"},
		{"postgres://scanner:hun#ter2@127.0.0.1:1/x?connect_timeout=2", "must be percent-encoded"},
		{"postgres://scanner:" + url.PathEscape("hunter2") + "%40x@127.0.0.1:1/x?connect_timeout=2", "127.0.0.1:1"},
		{"postgres://scanner@127.0.0.1:1/x?connect_timeout=2&password=hunter2@x#y", "127.0.0.1:1"},
		{"mysql://root:hun/ter2@db/x", "use sqlite:FILE or postgres://"},
	}
	for _, tc := range tests {
		_, err := store.Open(ctx, tc.url)
		if err == nil {
			t.Errorf("Open(%s) succeeded", tc.url)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%s) = %v, want it to say %q", tc.url, err, tc.want)
		}
		for _, piece := range []string{"hunter2", "hun", "ter2"} {
			if strings.Contains(err.Error(), piece) {
				t.Errorf("Open(%s) error shows %q of the password: %v", tc.url, piece, err)
			}
		}
	}
}
