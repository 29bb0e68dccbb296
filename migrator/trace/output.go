package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lockstep-dev/lockstep/lint"
)

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "lockstep trace on PostgreSQL %s (%d history %s replayed first)\n", r.Server, r.History, plural(r.History, "file", "files"))
	for _, f := range r.Files {
		how := "inside a transaction, rolled back"
		if !f.RolledBack {
			how = "run for real, statement by statement, as it cannot run in a transaction: locks sampled from a second session"
		}
		fmt.Fprintf(&b, "\n%s (%s)\n", f.Path, how)
		for _, st := range f.Statements {
			fmt.Fprintf(&b, "  line %-4d %s", st.Line, firstLine(st.SQL, 60))
			if st.Skipped == "" {
				fmt.Fprintf(&b, "  %s", ms(st.Duration))
			}
			b.WriteString("\n")
			switch {
			case st.Skipped != "":
				fmt.Fprintf(&b, "            %s\n", st.Skipped)
				continue
			case st.Err != "":
				fmt.Fprintf(&b, "            FAILED: %s\n", st.Err)
			}
			for _, l := range st.Locks {
				if l.Mode == lint.NoLock {
					fmt.Fprintf(&b, "            %s: the transaction already holds %s from line %d (pg_locks lists a mode once, so a repeat request cannot be seen)\n",
						describe(l), l.Before, l.BeforeLine)
					continue
				}
				fmt.Fprintf(&b, "            %s on %s%s, held %s", l.Mode, describe(l), blocks(l), ms(l.Held))
				if l.Before != lint.NoLock {
					fmt.Fprintf(&b, " (and %s from line %d)", l.Before, l.BeforeLine)
				}
				b.WriteString("\n")
			}
			if len(st.Rewritten) > 0 {
				fmt.Fprintf(&b, "            rewrote %s (new relfilenode)\n", displayList(st.Rewritten))
			}
			if len(st.Scanned) > 0 {
				fmt.Fprintf(&b, "            scanned %s\n", displayList(st.Scanned))
			}
		}
		if len(f.Locks) > 0 {
			b.WriteString("  strongest per relation:\n")
			for _, l := range f.Locks {
				fmt.Fprintf(&b, "    %-22s %s%s, held %s\n", l.Mode, describe(l), blocks(l), ms(l.Held))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describe(l Lock) string {
	s := lint.DisplayName(l.Relation)
	if l.Kind != "" && l.Kind != "table" {
		s += " (" + l.Kind + ")"
	}
	if l.New {
		s += " (created by this file)"
	}
	return s
}

func blocks(l Lock) string {
	if l.New || !l.Mode.BlocksTraffic() {
		return ""
	}
	if l.Kind != "table" && l.Kind != "partitioned table" && l.Kind != "index" && l.Kind != "materialized view" {
		return ""
	}
	return " — blocks " + l.Mode.Blocks()
}

func displayList(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = lint.DisplayName(s)
	}
	return strings.Join(out, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func firstLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

type jsonLock struct {
	Relation string  `json:"relation"`
	Kind     string  `json:"kind"`
	Mode     string  `json:"mode"`
	HeldMS   float64 `json:"held_ms"`
	New      bool    `json:"new"`
	// Before is the mode the transaction already held from before_line.
	Before     string `json:"before,omitempty"`
	BeforeLine int    `json:"before_line,omitempty"`
}

type jsonStatement struct {
	Index      int        `json:"statement_index"`
	Line       int        `json:"line"`
	SQL        string     `json:"sql"`
	DurationMS float64    `json:"duration_ms"`
	Locks      []jsonLock `json:"locks"`
	Rewritten  []string   `json:"rewritten"`
	Scanned    []string   `json:"scanned"`
	Sampled    bool       `json:"sampled"`
	Skipped    string     `json:"skipped,omitempty"`
	Error      string     `json:"error,omitempty"`
}

type jsonFile struct {
	Path       string          `json:"path"`
	RolledBack bool            `json:"rolled_back"`
	Failed     bool            `json:"failed"`
	Statements []jsonStatement `json:"statements"`
	Locks      []jsonLock      `json:"locks"`
}

type jsonReport struct {
	Server  string     `json:"server_version"`
	History int        `json:"history_files"`
	Files   []jsonFile `json:"files"`
}

func jsonLocks(ls []Lock) []jsonLock {
	out := []jsonLock{}
	for _, l := range ls {
		out = append(out, jsonLock{Relation: l.Relation, Kind: l.Kind, Mode: l.Mode.String(),
			HeldMS: float64(l.Held.Microseconds()) / 1000, New: l.New, Before: l.Before.String(), BeforeLine: l.BeforeLine})
	}
	return out
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteJSON prints the report as JSON (the stable shape of --format json).
func (r *Report) WriteJSON(w io.Writer) error {
	j := jsonReport{Server: r.Server, History: r.History, Files: []jsonFile{}}
	for _, f := range r.Files {
		jf := jsonFile{Path: f.Path, RolledBack: f.RolledBack, Failed: f.Failed, Locks: jsonLocks(f.Locks), Statements: []jsonStatement{}}
		for _, st := range f.Statements {
			jf.Statements = append(jf.Statements, jsonStatement{Index: st.Index, Line: st.Line, SQL: st.SQL,
				DurationMS: float64(st.Duration.Microseconds()) / 1000, Locks: jsonLocks(st.Locks),
				Rewritten: strs(st.Rewritten), Scanned: strs(st.Scanned), Sampled: st.Sampled, Skipped: st.Skipped, Error: st.Err})
		}
		j.Files = append(j.Files, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}
