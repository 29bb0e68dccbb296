package lint

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/fault"
)

// fileSep splits one fuzz input into several files of a history.
const fileSep = "\n-- next file\n"

// FuzzLint feeds arbitrary text through the whole lint entry point: parse
// (SQL and PL/pgSQL), directives, catalog replay, every rule and every
// writer. None may panic, and every finding must point inside its file.
//
//	go test ./lint -run '^$' -fuzz FuzzLint -fuzztime 10m
//
// The seeds are lint/testdata/fuzz/FuzzLint and every rule testdata file.
func FuzzLint(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "rules", "*", "*.sql"))
	more, _ := filepath.Glob(filepath.Join("testdata", "rules", "*", "*", "*.sql"))
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b), byte(0))
		}
	}
	f.Fuzz(func(t *testing.T, text string, opts byte) {
		cfg := DefaultConfig()
		cfg.PGVersion = MinPGVersion + int(opts%5)
		cfg.Runner = Runners[int(opts/5)%len(Runners)]
		cfg.AssumeLockTimeout = opts&0x80 != 0
		l, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var inputs []Input
		for i, part := range strings.Split(text, fileSep) {
			inputs = append(inputs, Input{Path: filepath.Join("m", string(rune('a'+i%26))+".sql"), Text: part, New: opts&0x40 != 0 && i > 0})
		}
		res, err := l.Lint(context.Background(), inputs)
		if err != nil {
			// Bad directives are configuration errors, not crashes.
			if !errors.Is(err, fault.Usage) {
				t.Fatalf("Lint: %v", err)
			}
			return
		}
		for _, fd := range res.Findings {
			src := res.Sources[fd.Pos.File]
			if src == nil {
				t.Fatalf("finding in unknown file %q", fd.Pos.File)
			}
			p := fd.Pos
			if p.Line < 1 || p.Col < 1 || p.EndLine < p.Line || p.EndLine > src.Lines() || (p.EndLine == p.Line && p.EndCol < p.Col) {
				t.Fatalf("%s: span %d:%d-%d:%d outside the file (%d lines): %s", fd.Rule, p.Line, p.Col, p.EndLine, p.EndCol, src.Lines(), fd.Message)
			}
		}
		for _, format := range Formats {
			if err := Write(io.Discard, format, res, WriteOptions{Color: true}); err != nil {
				t.Fatalf("Write(%s): %v", format, err)
			}
		}
	})
}
