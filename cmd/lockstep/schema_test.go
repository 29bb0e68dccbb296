package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite golden files (lockstep.schema.json)")

// schemaFile is the schema editors load (yaml-language-server, VS Code,
// JetBrains): the output of `lockstep schema`, kept in the repository.
var schemaFile = filepath.Join("..", "..", "lockstep.schema.json")

// TestSchemaFileIsCurrent fails when lockstep.schema.json differs from what
// `lockstep schema` prints; go test ./cmd/lockstep -run TestSchemaFile
// -update rewrites it.
func TestSchemaFileIsCurrent(t *testing.T) {
	got := lockstep(t, t.TempDir(), "schema")
	got.assertExit(t, exitOK)
	if *update {
		if err := os.WriteFile(schemaFile, []byte(got.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/lockstep -run TestSchemaFile -update writes it)", err)
	}
	if d := cmp.Diff(string(want), got.stdout); d != "" {
		t.Errorf("lockstep.schema.json is stale (-file +lockstep schema); rerun with -update:\n%s", d)
	}
	// It is a valid 2020-12 schema that accepts a full lint section and
	// rejects an unknown key, as editors will.
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("lockstep.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("lockstep.schema.json")
	if err != nil {
		t.Fatalf("lockstep.schema.json does not compile: %v", err)
	}
	var good, bad any
	json.Unmarshal([]byte(`{"version": 1, "lint": {"pg_version": 16, "runner": "multi-statement", "fail_on": "warning",
		"rules": {"drop-column": "off"}, "exclude": ["x/*"], "include_down": true, "assume_lock_timeout": true}}`), &good)
	json.Unmarshal([]byte(`{"lint": {"pg_verison": 16}}`), &bad)
	if err := s.Validate(good); err != nil {
		t.Errorf("a valid configuration is rejected: %v", err)
	}
	if err := s.Validate(bad); err == nil {
		t.Error("an unknown key is accepted")
	}
}
