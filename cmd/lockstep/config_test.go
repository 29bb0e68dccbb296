package main

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// schemaDoc returns the assembled schema, decoded.
func schemaDoc(t *testing.T) any {
	t.Helper()
	raw, err := assembleSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// schemaPatterns returns every "pattern" of the assembled schema, with the
// JSON pointer where it is.
func schemaPatterns(t *testing.T) map[string]string {
	t.Helper()
	doc := schemaDoc(t)
	found := map[string]string{}
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if p, ok := x["pattern"].(string); ok {
				found[ptr+"/pattern"] = p
			}
			for k, c := range x {
				walk(ptr+"/"+k, c)
			}
		case []any:
			for _, c := range x {
				walk(ptr+"/[]", c)
			}
		}
	}
	walk("", doc)
	return found
}

// TestPatternsHaveText fails when a pattern is added to a section's schema
// without saying in patternText what it accepts: the user would see the
// regular expression.
func TestPatternsHaveText(t *testing.T) {
	patterns := schemaPatterns(t)
	if len(patterns) < 10 {
		t.Fatalf("found %d patterns in the schema; the walk is broken", len(patterns))
	}
	var ptrs []string
	for ptr := range patterns {
		ptrs = append(ptrs, ptr)
	}
	sort.Strings(ptrs)
	used := map[string]bool{}
	for _, ptr := range ptrs {
		p := patterns[ptr]
		used[p] = true
		if patternText[p] == "" {
			t.Errorf("%s: pattern %q has no entry in patternText", ptr, p)
		}
	}
	for p := range patternText {
		if !used[p] {
			t.Errorf("patternText[%q]: no schema uses this pattern any more", p)
		}
	}
}

// TestNumberHintsExist fails when a schema moves and a hint of numberHints
// no longer names a bounded number.
func TestNumberHintsExist(t *testing.T) {
	doc := schemaDoc(t)
	for frag := range numberHints {
		v := doc
		for _, p := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		m, _ := v.(map[string]any)
		bounded := false
		for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
			if _, ok := m[k]; ok {
				bounded = true
			}
		}
		if !bounded {
			t.Errorf("numberHints[%q]: no bounded number there in the schema", frag)
		}
	}
}

func TestNumberWanted(t *testing.T) {
	root, err := configSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		loc, got, want string
	}{
		{"lint.pg_version", "12", "got 12, want an integer from 13 to 17"},
		{"gates.error_budget.objective", "100", "got 100, want a percentage greater than 0 and less than 100, such as 99.9"},
		{"gates.environments.x.error_budget.objective", "0", "got 0, want a percentage greater than 0 and less than 100, such as 99.9"},
		{"gates.backfill_rows_per_second", "-1", "got -1, want a number greater than 0"},
		{"migrations.backfill.min_batch_size", "0", "got 0, want an integer at least 1"},
	} {
		if got := numberWanted(root, strings.Split(tc.loc, "."), tc.got); got != tc.want {
			t.Errorf("numberWanted(%s, %s) = %q; want %q", tc.loc, tc.got, got, tc.want)
		}
	}
}
