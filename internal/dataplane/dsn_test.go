package dataplane

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRedactDSN(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://alice:s3cret@db.example.com:5432/app?sslmode=require", "postgres://alice:xxxxx@db.example.com:5432/app?sslmode=require"},
		{"postgresql://alice:p%40ss@h1:5432,h2:5433/app", "postgresql://alice:xxxxx@h1:5432,h2:5433/app"},
		{"postgres://alice@db/app?password=s3cret&sslmode=verify-full", "postgres://alice@db/app?password=xxxxx&sslmode=verify-full"},
		{"postgres://alice:a:b@c@db/app", "postgres://alice:xxxxx@db/app"},
		{"postgres://db/app", "postgres://db/app"},
		{"host=db user=alice password=s3cret dbname=app", "host=db user=alice password=xxxxx dbname=app"},
		{"host=db password = 's3 cret\\' x' user=alice", "host=db password=xxxxx user=alice"},
		{"host=db sslpassword=keypw sslkey=/k", "host=db sslpassword=xxxxx sslkey=/k"},
		{"host=db user=alice", "host=db user=alice"},
		{"host=db password='unterminated s3cret", "host=db password=xxxxx"},
		{"", ""},
	} {
		if got := RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRedactDSN(f *testing.F) {
	f.Add("host=h user=u", "pw123456")
	f.Add("host='a b' dbname=x", "Zz9Zz9Zz9")
	f.Add("", "abcdef")
	f.Fuzz(func(t *testing.T, rest, pw string) {
		if len(pw) < 6 || strings.Trim(pw, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" ||
			strings.Contains(rest, pw) || strings.Contains(redactedMark, pw) {
			return
		}
		for _, dsn := range []string{
			rest + " password=" + pw,
			"password='" + pw + "' " + rest,
			"postgres://u:" + pw + "@h/db?" + rest,
		} {
			if out := RedactDSN(dsn); strings.Contains(out, pw) {
				t.Errorf("RedactDSN(%q) = %q keeps the password", dsn, out)
			}
		}
	})
}

func TestAzureServerName(t *testing.T) {
	for _, tc := range []struct {
		host, name string
		ok         bool
	}{
		{"myserver.postgres.database.azure.com", "myserver", true},
		{"MyServer.Postgres.Database.Azure.com.", "myserver", true},
		{"myserver.private.postgres.database.azure.com", "myserver", true},
		{"db.example.com", "", false},
		{"127.0.0.1", "", false},
		{"/var/run/postgresql", "", false},
	} {
		name, ok := AzureServerName(tc.host)
		if name != tc.name || ok != tc.ok {
			t.Errorf("AzureServerName(%q) = %q, %v", tc.host, name, ok)
		}
	}
}

func TestPlan(t *testing.T) {
	t.Setenv("PGSSLMODE", "")
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", "/nonexistent")
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.token.value"
	provider := func(context.Context) (string, error) { return token, nil }
	for _, tc := range []struct {
		name       string
		o          Options
		mode, src  string
		entra      bool
		errContain string
	}{
		{name: "azure host, no sslmode, no password: verify-full and token",
			o:    Options{DSN: "host=srv.postgres.database.azure.com user=alice@contoso.com dbname=postgres", TokenProvider: provider},
			mode: "verify-full", src: "default (Azure host)", entra: true},
		{name: "azure URL with password: no token",
			o:    Options{DSN: "postgres://admin:Pw12345@srv.postgres.database.azure.com/postgres", TokenProvider: provider},
			mode: "verify-full", src: "default (Azure host)"},
		{name: "explicit sslmode honoured",
			o:    Options{DSN: "postgres://admin:Pw12345@srv.postgres.database.azure.com/postgres?sslmode=require"},
			mode: "require", src: "dsn"},
		{name: "self-hosted default prefer",
			o:    Options{DSN: "host=db.internal user=u password=Pw12345"},
			mode: "prefer", src: "default"},
		{name: "entra forced without provider",
			o:          Options{DSN: "host=db.internal user=u", Entra: true},
			errContain: "no token provider"},
		{name: "entra over a fallback sslmode refused",
			o:          Options{DSN: "host=db.internal user=u sslmode=prefer", Entra: true, TokenProvider: provider},
			errContain: "refusing to send"},
		{name: "token provider failure",
			o: Options{DSN: "host=srv.postgres.database.azure.com user=u", TokenProvider: func(context.Context) (string, error) {
				return "", errors.New("no credential")
			}},
			errContain: "cannot get a Microsoft Entra token"},
		{name: "bad DSN names it without the password",
			o:          Options{DSN: "postgres://u:Pw12345@host:notaport/db"},
			errContain: "postgres://u:xxxxx@host:notaport/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := plan(context.Background(), tc.o)
			if tc.errContain != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContain) {
					t.Fatalf("err = %v, want %q", err, tc.errContain)
				}
				if strings.Contains(err.Error(), "Pw12345") || strings.Contains(err.Error(), token) {
					t.Errorf("error holds a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.sslMode != tc.mode || p.sslSource != tc.src || p.entra != tc.entra {
				t.Errorf("sslmode=%s (%s) entra=%v", p.sslMode, p.sslSource, p.entra)
			}
			if tc.mode == "verify-full" && (p.cfg.TLSConfig == nil || p.cfg.TLSConfig.InsecureSkipVerify || len(p.cfg.Fallbacks) > 0) {
				t.Errorf("verify-full not enforced: %+v fallbacks=%d", p.cfg.TLSConfig, len(p.cfg.Fallbacks))
			}
			if tc.entra && p.cfg.Password != token {
				t.Error("token not used as password")
			}
			if p.cfg.RuntimeParams["default_transaction_read_only"] != "on" {
				t.Error("startup does not set default_transaction_read_only")
			}
			if strings.Contains(p.redacted, "Pw12345") {
				t.Errorf("redacted DSN %q", p.redacted)
			}
		})
	}
}
