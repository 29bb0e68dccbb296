package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The checked-in decoder is what the generator writes for the pg_query_go
// version go.mod names: after an upgrade, go generate ./internal/pgtree.
func TestGeneratedIsCurrent(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(filepath.Join(strings.TrimSpace(string(dir)), "pg_query.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../decode_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("internal/pgtree/decode_gen.go is stale: run go generate ./internal/pgtree")
	}
}
