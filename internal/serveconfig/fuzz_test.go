package serveconfig

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseConfig: any input gives a configuration or an error naming the
// file, never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"targets:\n  - {name: infra, paths: [./infra], schedule: \"@every 1h\"}\n",
		"tokens:\n  - {name: ci, role: admin, sha256: " + hash + "}\n",
		"serve:\n  webhooks:\n    - {url: \"https://h.example\", secretEnv: S}\n",
		"targets:\n  - name: db\n    postgres: {dsn: \"host=db password=x\"}\n",
		"targets: [null, 3, [a]]\n", "serve: null\n", "- a\n- b\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("f.yaml", []byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for _, tg := range c.Targets {
			if tg.Schedule != "" && tg.Sched() == nil {
				t.Fatalf("target %s: schedule %q not parsed", tg.Name, tg.Schedule)
			}
		}
	})
}

// FuzzSchedule: a schedule that parses gives slots at or before the time,
// and next times after it.
func FuzzSchedule(f *testing.F) {
	for _, s := range []string{"@every 1h", "*/15 * * * *", "0 9-17 * * mon-fri", "0 0 29 2 *", "@weekly", "5,10-20/3 1 1-5 * 0-7"} {
		f.Add(s, int64(1_777_000_000))
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64) {
		s, err := ParseSchedule(expr)
		if err != nil {
			return
		}
		at := time.Unix(unix%4_000_000_000, 0).UTC()
		if slot := s.Slot(at); !slot.IsZero() && slot.After(at) {
			t.Fatalf("%q: slot %s after %s", expr, slot, at)
		}
		if next := s.Next(at); !next.IsZero() && !next.After(at) {
			t.Fatalf("%q: next %s not after %s", expr, next, at)
		}
	})
}
