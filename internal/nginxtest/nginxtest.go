// Package nginxtest runs Debian's nginx for a test on a free loopback port,
// with a private prefix: configuration, pid file, logs and temp paths all
// live in the test's temporary directory, and the server stops when the
// test ends.
package nginxtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Options say what the server block and http block include.
type Options struct {
	// HTTP is configuration in http context (e.g. "include /x/upstream.conf;").
	HTTP string
	// Server is configuration in the server block (e.g. an include of a
	// location file).
	Server string
	// Workers is worker_processes (default 2).
	Workers int
}

// Server is a running nginx.
type Server struct {
	// Prefix and Conf are what -p and -c take.
	Prefix string
	Conf   string
	// Binary is the nginx executable.
	Binary string
	Addr   string
	URL    string
	cmd    *exec.Cmd
}

// Binary finds nginx: PATH, then Debian's /usr/sbin/nginx.
func Binary() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", fmt.Errorf("nginx not found: run `make test`, which installs Debian's nginx package")
}

// Dir returns a directory for files the configuration includes, readable
// by nginx's workers.
func Dir(t testing.TB) string {
	d := t.TempDir()
	os.Chmod(d, 0o755)
	return d
}

// Start starts nginx; the files the options include must exist.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	prefix := Dir(t)
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(prefix, d), 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(prefix, d), 0o777)
	}
	addr := "127.0.0.1:" + fmt.Sprint(freePort(t))
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n"
	}
	conf := fmt.Sprintf(`%sdaemon off;
master_process on;
worker_processes %d;
pid %[3]s/nginx.pid;
error_log %[3]s/logs/error.log notice;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[3]s/tmp/body;
    proxy_temp_path %[3]s/tmp/proxy;
    fastcgi_temp_path %[3]s/tmp/fastcgi;
    uwsgi_temp_path %[3]s/tmp/uwsgi;
    scgi_temp_path %[3]s/tmp/scgi;
    keepalive_timeout 30s;
    %[4]s
    server {
        listen %[5]s;
        %[6]s
    }
}
`, user, o.Workers, prefix, o.HTTP, addr, o.Server)
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{Prefix: prefix, Conf: confPath, Binary: bin, Addr: addr, URL: "http://" + addr}
	s.cmd = exec.Command(bin, "-p", prefix, "-c", confPath, "-e", filepath.Join(prefix, "logs", "error.log"))
	out, err := os.Create(filepath.Join(prefix, "logs", "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Signal(os.Interrupt) // SIGINT: fast shutdown
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
		out.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return s
		}
		if ctx.Err() != nil {
			b, _ := os.ReadFile(filepath.Join(prefix, "logs", "error.log"))
			t.Fatalf("nginxtest: nginx did not start: %s", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log returns nginx's error log, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Prefix, "logs", "error.log"))
	return string(b)
}

// Get requests path and returns the X-Version header and status.
func (s *Server) Get(t testing.TB, path string, header http.Header) (version string, code int) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.Header.Get("X-Version"), resp.StatusCode
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
