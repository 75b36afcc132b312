// Package pgtest starts throw-away PostgreSQL clusters for tests: initdb in a
// temporary directory (as the postgres OS user when the test runs as root),
// a free TCP port on 127.0.0.1, the unix socket in the same directory, an
// optional self-signed TLS certificate, and a stop in t.Cleanup.
package pgtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config describes the cluster to start.
type Config struct {
	// HBA are pg_hba.conf lines. The harness always puts
	// `local all postgres scram-sha-256` first, for its own superuser.
	HBA []string
	// Settings are postgresql.conf parameters (values written verbatim, so
	// quote strings: "'ddl'").
	Settings map[string]string
	// TLS generates a self-signed certificate for localhost and 127.0.0.1
	// and sets ssl = on.
	TLS bool
}

// Cluster is a running PostgreSQL cluster.
type Cluster struct {
	Dir       string // temporary directory (socket directory too)
	DataDir   string
	Port      int
	Password  string // the postgres superuser's password
	CertFile  string // server certificate (PEM), when Config.TLS
	bin       string
	runAsUser bool
}

// BinDir returns the directory of the PostgreSQL server binaries:
// $PGTEST_BINDIR, /usr/lib/postgresql/15/bin, or the directory of initdb on PATH.
func BinDir() (string, error) {
	if d := os.Getenv("PGTEST_BINDIR"); d != "" {
		return d, nil
	}
	if _, err := os.Stat("/usr/lib/postgresql/15/bin/pg_ctl"); err == nil {
		return "/usr/lib/postgresql/15/bin", nil
	}
	p, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", errors.New("PostgreSQL server binaries not found (install postgresql-15 or set PGTEST_BINDIR)")
	}
	return filepath.Dir(p), nil
}

// HasLibrary reports whether the server can load the shared library name
// (for example pgaudit, from the Debian package postgresql-15-pgaudit).
func HasLibrary(name string) bool {
	bin, err := BinDir()
	if err != nil {
		return false
	}
	out, err := exec.Command(filepath.Join(bin, "pg_config"), "--pkglibdir").Output()
	lib := filepath.Join(filepath.Dir(bin), "lib")
	if err == nil {
		lib = strings.TrimSpace(string(out))
	}
	_, err = os.Stat(filepath.Join(lib, name+".so"))
	return err == nil
}

// Start starts a cluster and stops it when the test ends. It skips the test
// when no PostgreSQL binaries are installed.
func Start(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	bin, err := BinDir()
	if err != nil {
		t.Skip(err)
	}
	c := &Cluster{bin: bin, runAsUser: os.Geteuid() == 0}
	if c.Dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(c.Dir) })
	c.DataDir = filepath.Join(c.Dir, "data")
	c.Password = randomHex(12)
	if err := c.chown(c.Dir); err != nil {
		t.Fatal(err)
	}
	pwfile := filepath.Join(c.Dir, "pw")
	if err := c.writeFile(pwfile, c.Password+"\n", 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := c.run("initdb", "-D", c.DataDir, "-U", "postgres", "--pwfile", pwfile,
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	_ = os.Remove(pwfile)
	if c.Port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	conf := []string{
		fmt.Sprintf("port = %d", c.Port),
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("unix_socket_directories = '%s'", c.Dir),
		"fsync = off",
		"max_connections = 100",
		"shared_buffers = 16MB",
	}
	if cfg.TLS {
		certFile, keyFile, err := c.writeCert()
		if err != nil {
			t.Fatal(err)
		}
		c.CertFile = certFile
		conf = append(conf, "ssl = on", fmt.Sprintf("ssl_cert_file = '%s'", certFile), fmt.Sprintf("ssl_key_file = '%s'", keyFile))
	}
	keys := make([]string, 0, len(cfg.Settings))
	for k := range cfg.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		conf = append(conf, k+" = "+cfg.Settings[k])
	}
	if err := c.appendFile(filepath.Join(c.DataDir, "postgresql.conf"), strings.Join(conf, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
	hba := append([]string{"local all postgres scram-sha-256"}, cfg.HBA...)
	if err := c.writeFile(filepath.Join(c.DataDir, "pg_hba.conf"), strings.Join(hba, "\n")+"\n", 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(c.Dir, "server.log")
	if out, err := c.run("pg_ctl", "-D", c.DataDir, "-l", logFile, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(c.Stop)
	return c
}

// Stop stops the cluster (immediately; the data is thrown away).
func (c *Cluster) Stop() {
	_, _ = c.run("pg_ctl", "-D", c.DataDir, "-m", "immediate", "-w", "stop")
}

// Log returns the server log.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
	return string(b)
}

// DSN returns a key=value DSN for a TCP connection to 127.0.0.1. extra are
// further key=value pairs (sslmode=..., sslrootcert=...).
func (c *Cluster) DSN(user, password, db string, extra ...string) string {
	parts := []string{"host=127.0.0.1", fmt.Sprintf("port=%d", c.Port), "user=" + user, "dbname=" + db}
	if password != "" {
		parts = append(parts, "password="+password)
	}
	return strings.Join(append(parts, extra...), " ")
}

// SocketDSN returns a key=value DSN for a unix-socket connection.
func (c *Cluster) SocketDSN(user, password, db string) string {
	s := fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.Dir, c.Port, user, db)
	if password != "" {
		s += " password=" + password
	}
	return s
}

// SuperDSN is the harness's own superuser connection over the unix socket.
func (c *Cluster) SuperDSN(db string) string { return c.SocketDSN("postgres", c.Password, db) }

// Exec runs each statement as the superuser in database postgres.
func (c *Cluster) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	c.ExecIn(t, "postgres", stmts...)
}

// ExecIn runs each statement as the superuser in database db.
func (c *Cluster) ExecIn(t testing.TB, db string, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.SuperDSN(db))
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// QueryString runs a one-value query as the superuser in database db.
func (c *Cluster) QueryString(t testing.TB, db, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.SuperDSN(db))
	if err != nil {
		t.Fatalf("connect as superuser: %v", err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAsUser {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.Dir
	return cmd.CombinedOutput()
}

func (c *Cluster) chown(path string) error {
	if !c.runAsUser {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("tests run as root need the postgres OS user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

func (c *Cluster) writeFile(path, content string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		return err
	}
	return c.chown(path)
}

func (c *Cluster) appendFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeCert generates a self-signed ECDSA certificate for localhost and
// 127.0.0.1 with crypto/x509.
func (c *Cluster) writeCert() (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"pgtest"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(c.Dir, "server.crt"), filepath.Join(c.Dir, "server.key")
	if err := c.writeFile(certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), 0o644); err != nil {
		return "", "", err
	}
	if err := c.writeFile(keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
