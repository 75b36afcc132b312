package dataplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pgbaseline/pgbaseline/internal/dataplane/pgtest"
)

// TestHostilePasswordsNeverEcho: passwords holding '@', ':', '/', '%',
// '?', '#', quotes and spaces, written raw or escaped, in URL and
// key=value DSNs, against a real PostgreSQL (wrong password) and a closed
// port on loopback: no piece of a password appears in the target, the
// error, or anything the report is built from. A raw URL password that
// needs escaping is refused with how to write it; escaped, every password
// reaches the server and fails authentication.
func TestHostilePasswordsNeverEcho(t *testing.T) {
	c := pgtest.Start(t, pgtest.Config{HBA: []string{"host all all 127.0.0.1/32 scram-sha-256"}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()

	passwords := []string{
		"ssAtH6q@x9Qv", "Kp3:Wz8/Lm2", "Rt5%Yu7", "Rt5%zzYu7", "Ab1 Cd2 Ef3", "Gh4?Jk5#Mn6",
		"Qw7@h0st9", "Zx8'Vb9\\Nm0", "Pp1@Oo2:Ii3@Uu4", "Tt5/Hh6@Jj7?Kk8",
	}
	kvQuote := func(s string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	var targets []Options
	for _, port := range []int{c.Port, closed} {
		for _, pw := range passwords {
			for _, dsn := range []string{
				fmt.Sprintf("postgres://alice:%s@127.0.0.1:%d/app?sslmode=disable", pw, port),
				fmt.Sprintf("postgresql://%s@127.0.0.1:%d/app?sslmode=disable", url.UserPassword("alice", pw), port),
				fmt.Sprintf("postgres://alice@127.0.0.1:%d/app?sslmode=disable&password=%s", port, url.QueryEscape(pw)),
				fmt.Sprintf("postgres://alice@127.0.0.1:%d/app?sslmode=disable&password=%s", port, pw),
				fmt.Sprintf("host=127.0.0.1 port=%d user=alice dbname=app sslmode=disable password=%s", port, kvQuote(pw)),
				fmt.Sprintf("host=127.0.0.1 port=%d user=alice password=%s dbname=app sslmode=disable", port, pw),
			} {
				targets = append(targets, Options{DSN: dsn, ConnectTimeout: 5 * time.Second})
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	outcomes := ScanMany(ctx, targets, 4)
	inputs, resources, results := Inputs(outcomes)
	derived, err := json.Marshal(map[string]any{"inputs": inputs, "resources": resources, "results": results})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outcomes {
		pw := passwords[(i/6)%len(passwords)]
		if o.Err == nil {
			t.Errorf("%s: connected with a wrong password", o.Target)
			continue
		}
		shown := o.Target + "\n" + o.Err.Error()
		for _, piece := range pieces(pw) {
			if strings.Contains(shown, piece) {
				t.Errorf("DSN form %d, password %d: %q shows %q", i%6, (i/6)%len(passwords), shown, piece)
			}
		}
		if i%6 == 0 && strings.ContainsAny(pw, "@/?# ") && !strings.Contains(o.Err.Error(), "must be percent-encoded") {
			t.Errorf("a raw URL password that needs escaping: %q, want how to write it", o.Err)
		}
		if escaped := i%6 == 1 || i%6 == 2 || i%6 == 4; escaped && (i/6)/len(passwords) == 0 && !strings.Contains(o.Err.Error(), `authentication failed for user "alice"`) {
			t.Errorf("DSN form %d, password %d: %q, want an authentication failure", i%6, (i/6)%len(passwords), o.Err)
		}
	}
	for _, pw := range passwords {
		for _, piece := range pieces(pw) {
			if strings.Contains(string(derived), piece) {
				t.Errorf("the report's inputs show %q of password %q", piece, pw)
			}
		}
	}
}

// pieces are a password's runs of letters and digits (each at least three
// long in the test's passwords).
func pieces(pw string) []string {
	return strings.FieldsFunc(pw, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

func TestURLPasswordProblem(t *testing.T) {
	for dsn, bad := range map[string]bool{
		"postgres://u:ss_At_H6@x@127.0.0.1/db": true,
		"postgres://u:a/b@h/db":                true,
		"postgres://u:a%40b@h/db":              false,
		"postgres://u:a:b@h/db":                false,
		"postgres://u@h/db?sslrootcert=/a@b":   false,
		"postgres://h/db":                      false,
		"host=h password=a@b":                  false,
	} {
		if got := URLPasswordProblem(dsn) != ""; got != bad {
			t.Errorf("URLPasswordProblem(%q) = %v, want %v", RedactDSN(dsn), got, bad)
		}
	}
}
