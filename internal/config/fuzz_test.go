package config

import "testing"

// FuzzParse feeds arbitrary YAML to the configuration parser: it must
// return a configuration or an error, never panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("rules:\n  PGB-BR1-01:\n    parameters: {minRetentionDays: 14}\n"))
	f.Add([]byte("attestations:\n  - {rule: PGB-IM7-01, resource: '*', by: a, date: 2026-10-01, expires: 2027-04-01}\n"))
	f.Add([]byte("rules: [1, 2]\n"))
	f.Add([]byte("attestations:\n  - {date: not-a-date}\n"))
	f.Add([]byte("&a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil && c == nil {
			t.Fatal("nil configuration without an error")
		}
		if err == nil {
			_ = c.Rule("PGB-BR1-01")
		}
	})
}
