package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lockstep-dev/lockstep/lint"
)

// Check lints the history with the plan's files added after it, as
// unreleased files (as lint --since sees a pull request that adds them),
// and returns the findings on the plan's files.
func Check(ctx context.Context, h *History, p *Plan, cfg lint.Config) ([]lint.Finding, error) {
	l, err := lint.New(cfg)
	if err != nil {
		return nil, err
	}
	inputs := make([]lint.Input, 0, len(h.Inputs)+len(p.Files))
	for _, in := range h.Inputs {
		in.Replay = true
		inputs = append(inputs, in)
	}
	own := map[string]bool{}
	for _, f := range p.Files {
		path := filepath.Join(h.Dir, f.Name)
		own[path] = true
		inputs = append(inputs, lint.Input{Path: path, Text: f.SQL, New: true})
	}
	res, err := l.Lint(ctx, inputs)
	if err != nil {
		return nil, err
	}
	var out []lint.Finding
	for _, f := range res.Findings {
		if own[f.Pos.File] {
			out = append(out, f)
		}
	}
	return out, nil
}

// WriteText prints the plan for a terminal: its files, the checks to run
// first and the app-code checklist per release. With files, each file's SQL
// follows (--dry-run); written lists the paths written, if any.
func (p *Plan) WriteText(w io.Writer, dir string, files bool, written []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", p.Command)
	width := 0
	for _, f := range p.Files {
		width = max(width, len(f.Name))
	}
	for i, f := range p.Files {
		fmt.Fprintf(&b, "  %d  %-8s  %-*s  %s\n", i+1, f.Phase, width, f.Name, p.when(f))
		fmt.Fprintf(&b, "     %-8s  %s\n", "", f.Summary)
	}
	if len(p.Before) > 0 {
		b.WriteString("\nBefore you ship it\n")
		for _, s := range p.Before {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	b.WriteString("\nApp code, release by release\n")
	for _, r := range p.Releases() {
		steps := p.stepsOf(r)
		if len(steps) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %s%s\n", capitalize(p.ReleaseName(r)), p.releaseRole(r))
		for _, s := range steps {
			fmt.Fprintf(&b, "    [ ] %s\n", s)
		}
	}
	if len(p.Notes) > 0 {
		b.WriteString("\nNotes\n")
		for _, s := range p.Notes {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	if files {
		for _, f := range p.Files {
			fmt.Fprintf(&b, "\n── %s\n%s", filepath.Join(dir, f.Name), f.SQL)
		}
	}
	switch {
	case len(written) > 0:
		fmt.Fprintf(&b, "\nWrote %d files to %s. Run `lockstep lint %s` and commit them with %s.\n", len(written), dir, dir, p.ReleaseName(0))
	case files:
		b.WriteString("\nDry run: nothing written.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (p *Plan) when(f File) string {
	switch f.Phase {
	case lint.Expand:
		return "before the deploy of " + p.ReleaseName(f.Release)
	case lint.Backfill:
		return "after the expand steps, before the deploy of " + p.ReleaseName(f.Release)
	case lint.Contract:
		return "once " + p.ReleaseName(f.Release+1) + " is fully rolled out"
	}
	return ""
}

func (p *Plan) releaseRole(r int) string {
	switch r {
	case -1:
		return " (running now)"
	case 0:
		return " (ships these files)"
	}
	for _, f := range p.Files {
		if f.Phase == lint.Contract && f.Release+1 == r {
			return " (its rollout lets the contract run)"
		}
	}
	return ""
}

func (p *Plan) stepsOf(r int) []string {
	for _, c := range p.Code {
		if c.Release == r {
			return c.Steps
		}
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

type jsonFile struct {
	Path    string `json:"path"`
	Version uint64 `json:"version"`
	Phase   string `json:"phase"`
	Release string `json:"release"`
	When    string `json:"when"`
	Summary string `json:"summary"`
	SQL     string `json:"sql"`
}

type jsonRelease struct {
	Release string   `json:"release"`
	Steps   []string `json:"steps"`
}

type jsonPlan struct {
	Command string        `json:"command"`
	Written bool          `json:"written"`
	Files   []jsonFile    `json:"files"`
	Before  []string      `json:"before"`
	Code    []jsonRelease `json:"code"`
	Notes   []string      `json:"notes"`
}

// WriteJSON prints the plan as JSON (the stable shape of --format json).
func (p *Plan) WriteJSON(w io.Writer, dir string, written bool) error {
	j := jsonPlan{Command: p.Command, Written: written, Before: nonNil(p.Before), Notes: nonNil(p.Notes), Files: []jsonFile{}, Code: []jsonRelease{}}
	for _, f := range p.Files {
		j.Files = append(j.Files, jsonFile{Path: filepath.Join(dir, f.Name), Version: f.Version, Phase: f.Phase.String(),
			Release: p.ReleaseName(f.Release), When: p.when(f), Summary: f.Summary, SQL: f.SQL})
	}
	for _, r := range p.Releases() {
		if steps := p.stepsOf(r); len(steps) > 0 {
			j.Code = append(j.Code, jsonRelease{Release: p.ReleaseName(r), Steps: steps})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
