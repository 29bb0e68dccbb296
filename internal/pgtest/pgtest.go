// Package pgtest gives tests a real PostgreSQL: a throwaway server started
// from the machine's initdb and pg_ctl on a free loopback port, or the server
// named by LOCKSTEP_TEST_DATABASE_URL when that is set. Each test gets a
// database of its own.
//
// PostgreSQL refuses to run as root, so when the tests run as root the server
// is started as the unprivileged user nobody (runuser), with a data directory
// it owns.
//
// Use it from TestMain so the server stops when the package's tests end:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestX(t *testing.T) { url := pgtest.Database(t) ... }
package pgtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "LOCKSTEP_TEST_DATABASE_URL"

var (
	once   sync.Once
	shared *Server
	errSrv error
	seq    atomic.Int64
)

// Server is a running PostgreSQL the tests may create databases in.
type Server struct {
	// URL is a connection URL to the server's postgres database as superuser.
	URL   string
	Port  int
	dir   string // data directory's parent; empty for an external server
	bin   string
	runAs string
}

// Main runs the tests and stops the shared server afterwards. Call it from
// TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	return code
}

// Get returns the package's shared server, starting it on first use. Tests
// are skipped, not failed, only when no PostgreSQL binaries exist and no
// external URL is set; `make test` installs them, so CI never skips.
func Get(t testing.TB) *Server {
	t.Helper()
	once.Do(func() { shared, errSrv = start() })
	if errSrv != nil {
		t.Fatalf("pgtest: %v", errSrv)
	}
	return shared
}

// Database creates an empty database for this test and returns its URL. The
// database is dropped when the test ends.
func Database(t testing.TB) string {
	t.Helper()
	s := Get(t)
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return s.dbURL(name)
}

// Exec runs sql on the server's maintenance database.
func (s *Server) Exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func (s *Server) dbURL(name string) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Stop shuts a server this package started down and removes its files.
func (s *Server) Stop() {
	if s.dir == "" {
		return
	}
	s.ctl("stop", "-m", "immediate", "-w")
	os.RemoveAll(s.dir)
}

// Kill stops the server abruptly without removing its data, so a test can
// observe a database that goes away mid-run; Restart brings it back.
func (s *Server) Kill() error {
	if s.dir == "" {
		return fmt.Errorf("pgtest: cannot kill an external server")
	}
	return s.ctl("stop", "-m", "immediate", "-w")
}

// Restart starts a server stopped by Kill again on the same port.
func (s *Server) Restart() error {
	if s.dir == "" {
		return fmt.Errorf("pgtest: cannot restart an external server")
	}
	return s.startCtl()
}

func start() (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u}, nil
	}
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lockstep-pg-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		s.runAs = "nobody"
		u, err := user.Lookup("nobody")
		if err != nil {
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	if out, err := s.run(filepath.Join(bin, "initdb"), "-D", s.data(), "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.Port = port
	s.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	if err := s.startCtl(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) startCtl() error {
	opts := strings.Join([]string{
		"-p", strconv.Itoa(s.Port), "-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + s.dir, "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=64MB",
	}, " ")
	if err := s.ctl("start", "-w", "-t", "60", "-l", filepath.Join(s.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v: %s", err, log)
	}
	return nil
}

func (s *Server) ctl(args ...string) error {
	args = append([]string{"-D", s.data()}, args...)
	out, err := s.run(filepath.Join(s.bin, "pg_ctl"), args...)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

// findBin finds the directory holding initdb and pg_ctl: PATH first, then the
// newest Debian layout (/usr/lib/postgresql/N/bin).
func findBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl) found; run `make test`, which installs them, or set %s", EnvURL)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts a private server for one test, stopped and removed when the
// test ends: for tests that Kill and Restart it, which would take the
// shared server away from the others. It needs the PostgreSQL binaries; an
// external server (LOCKSTEP_TEST_DATABASE_URL) cannot be killed, so the
// test is skipped then.
func Start(t testing.TB) *Server {
	t.Helper()
	if os.Getenv(EnvURL) != "" {
		t.Skipf("pgtest: a private server needs the PostgreSQL binaries; %s points at an external one", EnvURL)
	}
	s, err := start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// CreateDatabase creates an empty database on s for this test and returns
// its URL; it is dropped when the test ends (if the server still runs).
func (s *Server) CreateDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), seq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return s.dbURL(name)
}
