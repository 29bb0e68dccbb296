package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

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

// configSchema compiles the assembled schema once.
var configSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
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
	return comp.Compile(schemaID)
})

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
	if k, ok := leaf.ErrorKind.(*kind.AdditionalProperties); ok {
		// Of several unknown keys, name the first in the file.
		slices.SortStableFunc(k.Properties, func(a, b string) int {
			return c.offset(append(slices.Clip(leaf.InstanceLocation), a)) - c.offset(append(slices.Clip(leaf.InstanceLocation), b))
		})
	}
	loc, msg := explain(s, inst, leaf)
	return fault.Errorf(fault.Usage, "%s: %s: %s", c.position(loc), dotted(loc), msg)
}

// explain returns where the error is (the key path) and what to tell the
// user: the value that was found and, in words, what is wanted there.
func explain(root *jsonschema.Schema, inst any, e *jsonschema.ValidationError) ([]string, string) {
	loc := append([]string(nil), e.InstanceLocation...)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		return append(loc, k.Properties[0]), "unknown key" + suggestKey(root, loc, k.Properties[0])
	case *kind.Required:
		return loc, "missing required key " + strings.Join(k.Missing, ", ")
	case *kind.PropertyNames:
		loc = append(loc, k.Property)
		if len(e.Causes) > 0 {
			if p, ok := deepest(e.Causes[0]).ErrorKind.(*kind.Pattern); ok {
				if want, ok := patternText[p.Want]; ok {
					return loc, "invalid key; want " + want
				}
			}
		}
		return loc, "invalid key"
	case *kind.Pattern:
		if want, ok := patternText[k.Want]; ok {
			return loc, fmt.Sprintf("got %q, want %s", k.Got, want)
		}
	case *kind.Minimum:
		return loc, numberWanted(root, loc, ratText(k.Got))
	case *kind.Maximum:
		return loc, numberWanted(root, loc, ratText(k.Got))
	case *kind.ExclusiveMinimum:
		return loc, numberWanted(root, loc, ratText(k.Got))
	case *kind.ExclusiveMaximum:
		return loc, numberWanted(root, loc, ratText(k.Got))
	case *kind.Type:
		if v, ok := valueAt(inst, loc).(string); ok && hasBounds(schemaAt(root, loc)) {
			return loc, numberWanted(root, loc, strconv.Quote(v))
		}
		if hasBounds(schemaAt(root, loc)) {
			return loc, numberWanted(root, loc, k.Got)
		}
	}
	return loc, e.ErrorKind.LocalizedString(message.NewPrinter(language.English))
}

// patternText says in words what each pattern of the schema accepts, keyed
// by the pattern; TestPatternsHaveText checks that none is missing.
var patternText = map[string]string{
	`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`:     "a duration such as 500ms, 30s, 5m or 1h30m",
	`^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`: "a duration such as 500ms, 2s, 10m or 1h30m, or 0",
	`^([0-9]+(ms|s|m|h|d|w|y))+$`:                   "a duration such as 28d, 6h or 90m",
	`^[0-9]+%?$`:                                    "a count or a percentage such as 2 or 25%",
	`^[0-9]+(\.[0-9]+)?%$`:                          "a percentage such as 10% or 2.5%",
	`^([01]?[0-9]|2[0-3]):[0-5][0-9]$`:              "a time of day HH:MM such as 09:00",
	`^([01]?[0-9]|2[0-3]):[0-5][0-9]$|^24:00$`:      "a time of day HH:MM such as 17:30 or 24:00",
	`^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$|^(weekdays|weekend|daily)$`: "a day (mon..sun), a range such as mon-fri, weekdays, weekend or daily",
	`^https?://`:                    "an http:// or https:// URL",
	`^[A-Za-z_][A-Za-z0-9_]*$`:      "a name of letters, digits and _ that does not start with a digit",
	`^[A-Za-z0-9-]+$`:               "a name of letters, digits and -",
	`^[A-Za-z0-9_-]+$`:              "a name of letters, digits, _ and -",
	`^[A-Za-z0-9][A-Za-z0-9_./-]*$`: "a name of letters, digits, _, ., / and - that starts with a letter or digit",
	`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`: "a rule id such as drop-column (lockstep rules lists them)",
}

// numberHints names what a bounded number means and gives an example, keyed
// by the fragment of the schema location; TestNumberHintsExist checks them.
var numberHints = map[string]struct{ noun, example string }{
	"/properties/gates/$defs/error_budget/properties/objective":     {"a percentage", "99.9"},
	"/properties/gates/$defs/error_budget/properties/min_remaining": {"a percentage", "10%"},
}

// numberWanted is "got X, want a number greater than 0 and less than 100"
// for the bounded number at loc.
func numberWanted(root *jsonschema.Schema, loc []string, got string) string {
	s := schemaAt(root, loc)
	noun, example := "a number", ""
	for r := s; r != nil; r = r.Ref {
		if r.Types != nil && slices.Equal(r.Types.ToStrings(), []string{"integer"}) {
			noun = "an integer"
		}
		if _, frag, _ := strings.Cut(r.Location, "#"); numberHints[frag].noun != "" {
			noun, example = numberHints[frag].noun, numberHints[frag].example
		}
	}
	var lo, hi string
	for r := s; r != nil; r = r.Ref {
		switch {
		case lo != "":
		case r.Minimum != nil:
			lo = ratText(r.Minimum)
		case r.ExclusiveMinimum != nil:
			lo = ">" + ratText(r.ExclusiveMinimum)
		}
		switch {
		case hi != "":
		case r.Maximum != nil:
			hi = ratText(r.Maximum)
		case r.ExclusiveMaximum != nil:
			hi = "<" + ratText(r.ExclusiveMaximum)
		}
	}
	var bound string
	switch {
	case lo != "" && hi != "" && lo[0] != '>' && hi[0] != '<':
		bound = "from " + lo + " to " + hi
	case lo != "" && hi != "":
		bound = lowerText(lo) + " and " + upperText(hi)
	case lo != "":
		bound = lowerText(lo)
	case hi != "":
		bound = upperText(hi)
	}
	msg := "got " + got + ", want " + noun
	if bound != "" {
		msg += " " + bound
	}
	if example != "" {
		msg += ", such as " + example
	}
	return msg
}

func lowerText(lo string) string {
	if v, ok := strings.CutPrefix(lo, ">"); ok {
		return "greater than " + v
	}
	return "at least " + lo
}

func upperText(hi string) string {
	if v, ok := strings.CutPrefix(hi, "<"); ok {
		return "less than " + v
	}
	return "at most " + hi
}

// hasBounds reports whether s (or what it refers to) limits a number.
func hasBounds(s *jsonschema.Schema) bool {
	for ; s != nil; s = s.Ref {
		if s.Minimum != nil || s.Maximum != nil || s.ExclusiveMinimum != nil || s.ExclusiveMaximum != nil {
			return true
		}
	}
	return false
}

// ratText renders a bound or a value as written: 100, 99.9.
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// valueAt returns the value of the instance at loc, or nil.
func valueAt(v any, loc []string) any {
	for _, p := range loc {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// schemaAt returns the schema that applies to the value at loc, following
// $ref, properties, patternProperties, additionalProperties and items, or
// nil when the schema says nothing about it.
func schemaAt(root *jsonschema.Schema, loc []string) *jsonschema.Schema {
	s := root
	for _, p := range loc {
		if s = childSchema(s, p); s == nil {
			return nil
		}
	}
	return s
}

func childSchema(s *jsonschema.Schema, p string) *jsonschema.Schema {
	for ; s != nil; s = s.Ref {
		if c, ok := s.Properties[p]; ok {
			return c
		}
		for re, c := range s.PatternProperties {
			if re.MatchString(p) {
				return c
			}
		}
		if c, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
			return c
		}
		if _, err := strconv.Atoi(p); err == nil && s.Items2020 != nil {
			return s.Items2020
		}
	}
	return nil
}

// isUnknownKey reports an additionalProperties error: at the same place as
// a missing key, a misspelt key explains it better.
func isUnknownKey(e *jsonschema.ValidationError) bool {
	_, ok := e.ErrorKind.(*kind.AdditionalProperties)
	return ok
}

// deepest follows the causes down to the most specific error: the one
// deepest in the document, an unknown key first. A propertyNames error stays itself: its causes
// are about the key, not a value under it.
func deepest(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(e.Causes) > 0 {
		if _, ok := e.ErrorKind.(*kind.PropertyNames); ok {
			return e
		}
		best := e.Causes[0]
		for _, c := range e.Causes {
			if len(c.InstanceLocation) > len(best.InstanceLocation) ||
				len(c.InstanceLocation) == len(best.InstanceLocation) && isUnknownKey(c) && !isUnknownKey(best) {
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
		if t := startToken(c.node(loc[:n])); t != nil {
			return fmt.Sprintf("%s:%d:%d", c.path, t.Position.Line, t.Position.Column)
		}
	}
	return c.path
}

// offset is where the key at loc starts in the file (-1 when not found).
func (c *config) offset(loc []string) int {
	if t := c.keyToken(loc); t != nil {
		return t.Position.Offset
	}
	return -1
}

// startToken is the first token of node: the first key of a mapping (whose
// own token is its first colon), else the node's token.
func startToken(node ast.Node) *token.Token {
	switch m := node.(type) {
	case nil:
		return nil
	case *ast.MappingValueNode:
		return m.Key.GetToken()
	case *ast.MappingNode:
		if len(m.Values) > 0 && !m.IsFlowStyle {
			return m.Values[0].Key.GetToken()
		}
	}
	return node.GetToken()
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

// suggestKey proposes the closest allowed key of the mapping at parent:
// ` (did you mean "x"?)`, else the list of allowed keys.
func suggestKey(root *jsonschema.Schema, parent []string, key string) string {
	var keys []string
	for s := schemaAt(root, parent); s != nil; s = s.Ref {
		for k := range s.Properties {
			keys = append(keys, k)
		}
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
