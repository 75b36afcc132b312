package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// goldenInputs are examples of three input kinds: an az CLI export, a
// Terraform module and an ARM template with its parameter file.
var goldenInputs = []string{
	"../../examples/exports/public-server.json",
	"../../examples/terraform/insecure",
	"../../examples/arm-templates/literal-secrets",
}

// goldenSecrets are the literal secrets written in goldenInputs, which no
// report may echo.
var goldenSecrets = []string{
	"H@Sh1CoR3!",                // administrator_password in examples/terraform/insecure/main.tf
	"S3cr3t-Pa55",               // inside a connection string in the same file
	"Rep0rt!ng-2024",            // examples/terraform/insecure/terraform.tfvars
	"Pa55w0rd-in-the-template!", // a securestring default in examples/arm-templates/literal-secrets
	"another-plain-text-secret", // its parameter file
}

// volatile matches what changes from run to run: times and durations.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "TIME"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC in \d+(\.\d+)?m?s`), "TIME in DURATION"},
}

// TestGoldenReports scans the examples in every format and compares the
// output with testdata/golden (times masked). Run with -update to accept a
// change, and review the diff.
func TestGoldenReports(t *testing.T) {
	formats := map[string]string{
		"json": "report.json", "table": "report.txt", "sarif": "report.sarif", "junit": "report.xml",
		"csv": "report.csv", "markdown": "report.md", "html": "report.html",
	}
	for format, file := range formats {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), file)
			args := append([]string{"scan", "--quiet", "--no-color", "--format", format, "--output", out}, goldenInputs...)
			if code := run(args); code != 1 {
				t.Fatalf("exit %d, want 1 (the examples fail rules)", code)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range goldenSecrets {
				if bytes.Contains(got, []byte(secret)) {
					t.Errorf("the %s report echoes the secret %q from the scanned code", format, secret)
				}
			}
			for _, v := range volatile {
				got = v.re.ReplaceAll(got, []byte(v.with))
			}
			path := filepath.Join("testdata", "golden", file)
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/pgbaseline -run TestGoldenReports -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s: run go test ./cmd/pgbaseline -run TestGoldenReports -update and review the diff\n%s",
					format, path, firstDiff(want, got))
			}
		})
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + string(w) + "\n  got:  " + string(g)
		}
	}
	return ""
}
