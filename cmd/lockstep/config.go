package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/lockstep-dev/lockstep/deployer"
	"github.com/lockstep-dev/lockstep/gates"
	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
	"github.com/lockstep-dev/lockstep/migrator"
)

// schemaSections maps each top-level key of lockstep.yaml to the JSON
// Schema of its section, owned by the package that reads it.
func schemaSections() map[string][]byte {
	return map[string][]byte{
		"lint":       lint.ConfigSchema,
		"migrations": migrator.ConfigSchema,
		"gates":      gates.ConfigSchema,
		"deploy":     deployer.ConfigSchema,
	}
}

// schemaID is where the assembled schema is published, for editors.
const schemaID = "https://raw.githubusercontent.com/lockstep-dev/lockstep/main/lockstep.schema.json"

// assembleSchema builds the one JSON Schema of lockstep.yaml from the
// sections' schemas.
func assembleSchema() ([]byte, error) {
	props := map[string]json.RawMessage{
		"version": json.RawMessage(`{"description": "Configuration format version.", "const": 1}`),
	}
	for name, s := range schemaSections() {
		var v any
		if err := json.Unmarshal(s, &v); err != nil {
			return nil, fmt.Errorf("schema of section %s: %w", name, err)
		}
		props[name] = s
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  schemaID,
		"title":                "lockstep.yaml",
		"description":          "Configuration of lockstep: lint, migrations, gates, deploys, reporting.",
		"type":                 "object",
		"additionalProperties": false,
		"properties":           props,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	// Re-indent the embedded sections consistently.
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// config is a loaded lockstep.yaml. Each command decodes the sections it
// needs into the owning package's type.
type config struct {
	path string
	file *ast.File
	// present lists the top-level keys that exist.
	present map[string]bool
}

// loadConfig reads the configuration: the --config file (which must exist),
// else lockstep.yaml in the working directory when present, else nothing.
// Errors are usage errors naming the file, line and key.
func loadConfig(e *env, g *globals) (*config, error) {
	path, explicit := g.config, g.config != ""
	if !explicit {
		path = "lockstep.yaml"
	}
	full := path
	if e.workdir != "" && !filepath.IsAbs(path) {
		full = filepath.Join(e.workdir, path)
	}
	b, err := os.ReadFile(full)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return &config{present: map[string]bool{}}, nil
	}
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "%s: %v", path, unwrapPathErr(err))
	}
	return parseConfig(path, b)
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func parseConfig(path string, b []byte) (*config, error) {
	c := &config{path: path, present: map[string]bool{}}
	f, err := parser.ParseBytes(b, 0)
	if err != nil {
		return nil, yamlError(path, "", err)
	}
	c.file = f
	js, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, yamlError(path, "", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return nil, fault.Errorf(fault.Usage, "%s: %v", path, err)
	}
	if inst == nil {
		return c, nil // empty file
	}
	if err := validateConfig(c, inst); err != nil {
		return nil, err
	}
	if m, ok := inst.(map[string]any); ok {
		for k := range m {
			c.present[k] = true
		}
	}
	return c, nil
}

var compiledSchema *jsonschema.Schema

func configSchema() (*jsonschema.Schema, error) {
	if compiledSchema != nil {
		return compiledSchema, nil
	}
	raw, err := assembleSchema()
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	comp := jsonschema.NewCompiler()
	if err := comp.AddResource(schemaID, doc); err != nil {
		return nil, err
	}
	s, err := comp.Compile(schemaID)
	if err != nil {
		return nil, err
	}
	compiledSchema = s
	return s, nil
}

func validateConfig(c *config, inst any) error {
	s, err := configSchema()
	if err != nil {
		return fmt.Errorf("configuration schema: %w", err)
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	leaf := deepest(ve)
	loc := append([]string(nil), leaf.InstanceLocation...)
	p := message.NewPrinter(language.English)
	msg := leaf.ErrorKind.LocalizedString(p)
	switch k := leaf.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		loc = append(loc, k.Properties[0])
		msg = "unknown key" + c.suggestKey(leaf.InstanceLocation, k.Properties[0])
	case *kind.Required:
		msg = "missing required key " + strings.Join(k.Missing, ", ")
	}
	return fault.Errorf(fault.Usage, "%s: %s: %s", c.position(loc), dotted(loc), msg)
}

// deepest follows the first cause down to the most specific error.
func deepest(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(e.Causes) > 0 {
		// Prefer an additionalProperties or type error over a group.
		best := e.Causes[0]
		for _, c := range e.Causes {
			if len(c.InstanceLocation) > len(best.InstanceLocation) {
				best = c
			}
		}
		e = best
	}
	return e
}

// dotted renders a path like gates.windows[0].from.
func dotted(loc []string) string {
	var b strings.Builder
	for _, p := range loc {
		if _, err := strconv.Atoi(p); err == nil {
			fmt.Fprintf(&b, "[%s]", p)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "(top level)"
	}
	return b.String()
}

// position returns "file:line:col" of the key (or list item) at loc, or of
// the nearest ancestor that exists.
func (c *config) position(loc []string) string {
	for n := len(loc); n > 0; n-- {
		if t := c.keyToken(loc[:n]); t != nil {
			return fmt.Sprintf("%s:%d:%d", c.path, t.Position.Line, t.Position.Column)
		}
		if node := c.node(loc[:n]); node != nil && node.GetToken() != nil {
			t := node.GetToken()
			return fmt.Sprintf("%s:%d:%d", c.path, t.Position.Line, t.Position.Column)
		}
	}
	return c.path
}

func (c *config) pathFor(loc []string) *yaml.Path {
	b := (&yaml.PathBuilder{}).Root()
	for _, p := range loc {
		if i, err := strconv.Atoi(p); err == nil {
			b = b.Index(uint(i))
		} else {
			b = b.Child(p)
		}
	}
	return b.Build()
}

func (c *config) node(loc []string) ast.Node {
	if c.file == nil {
		return nil
	}
	n, err := c.pathFor(loc).FilterFile(c.file)
	if err != nil {
		return nil
	}
	return n
}

// keyToken finds the token of the mapping key that ends loc.
func (c *config) keyToken(loc []string) *token.Token {
	if len(loc) == 0 || c.file == nil {
		return nil
	}
	parent := c.node(loc[:len(loc)-1])
	if len(loc) == 1 && len(c.file.Docs) > 0 {
		parent = c.file.Docs[0].Body
	}
	var values []*ast.MappingValueNode
	switch m := parent.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	}
	for _, mv := range values {
		if t := mv.Key.GetToken(); t != nil && t.Value == loc[len(loc)-1] {
			return t
		}
	}
	return nil
}

// suggestKey proposes the closest allowed key at that location.
func (c *config) suggestKey(parent []string, key string) string {
	raw, err := assembleSchema()
	if err != nil {
		return ""
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	node := doc
	for _, p := range parent {
		props, _ := node["properties"].(map[string]any)
		next, ok := props[p].(map[string]any)
		if !ok {
			items, _ := node["items"].(map[string]any)
			if items == nil {
				return ""
			}
			if _, err := strconv.Atoi(p); err == nil {
				node = items
				continue
			}
			return ""
		}
		node = next
	}
	props, _ := node["properties"].(map[string]any)
	var keys []string
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, bestD := "", 4
	for _, k := range keys {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(keys) > 0 {
		return " (allowed: " + strings.Join(keys, ", ") + ")"
	}
	return ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// section decodes one top-level section into v (left unchanged when the
// section is absent). Type errors name the file, line and key.
func (c *config) section(name string, v any) error {
	if !c.present[name] {
		return nil
	}
	n := c.node([]string{name})
	if n == nil {
		return nil
	}
	if err := yaml.NodeToValue(n, v, yaml.Strict()); err != nil {
		return yamlError(c.path, name, err)
	}
	return nil
}

// yamlError turns a YAML parse or decode error into one line naming the
// file, line and column, and the section when there is one:
// "lockstep.yaml:3:7: lint: cannot unmarshal ...".
func yamlError(path, section string, err error) error {
	var ye yaml.Error
	where := path
	msg := oneLine(yaml.FormatError(err, false, false))
	if errors.As(err, &ye) {
		msg = oneLine(ye.GetMessage())
		if t := ye.GetToken(); t != nil && t.Position != nil {
			where = fmt.Sprintf("%s:%d:%d", path, t.Position.Line, t.Position.Column)
		}
	}
	if section != "" {
		msg = section + ": " + msg
	}
	return fault.Errorf(fault.Usage, "%s: %s", where, msg)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
