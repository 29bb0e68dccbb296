package lint

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity orders findings; --fail-on compares against it.
type Severity int

const (
	Hint Severity = iota + 1
	Warning
	Error
)

var severityNames = map[Severity]string{Hint: "hint", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// ParseSeverity reads "error", "warning" or "hint".
func ParseSeverity(s string) (Severity, error) {
	for k, v := range severityNames {
		if v == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or hint)", s)
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Pos is a span in a migration file: 1-based lines, and columns counted in
// characters (not bytes), end inclusive of the last character.
type Pos struct {
	File    string
	Line    int
	Col     int
	EndLine int
	EndCol  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// LockMode is a PostgreSQL table-level lock mode, weakest first.
type LockMode int

const (
	NoLock LockMode = iota
	AccessShare
	RowShare
	RowExclusive
	ShareUpdateExclusive
	Share
	ShareRowExclusive
	Exclusive
	AccessExclusive
)

var lockNames = [...]string{"", "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE",
	"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"}

func (m LockMode) String() string {
	if int(m) < len(lockNames) {
		return lockNames[m]
	}
	return fmt.Sprintf("LockMode(%d)", int(m))
}

// ParseLockMode reads a mode as LOCK TABLE spells it ("SHARE ROW EXCLUSIVE").
func ParseLockMode(s string) (LockMode, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), " "))
	for i, n := range lockNames {
		if n == s && i > 0 {
			return LockMode(i), true
		}
	}
	return NoLock, false
}

// Blocks says what application traffic waits while the lock is held.
func (m LockMode) Blocks() string {
	switch {
	case m >= AccessExclusive:
		return "reads and writes"
	case m >= Share:
		return "writes"
	case m >= ShareUpdateExclusive:
		return "other schema changes and VACUUM, not reads or writes"
	case m == RowExclusive:
		return "no reads; writers of the rows it changes wait on its row locks"
	default:
		return "nothing the application does"
	}
}

// BlocksTraffic reports whether the application's reads or writes wait on it.
func (m LockMode) BlocksTraffic() bool { return m >= Share }

// Lock is a lock a statement takes on one relation.
type Lock struct {
	Mode     LockMode
	Relation string
}

// Cost is how long a statement holds its lock in the worst case.
type Cost string

const (
	// Instant is a catalog-only change: the lock is held for milliseconds once granted.
	Instant Cost = ""
	// Scan reads every row while holding the lock.
	Scan Cost = "scan"
	// Rewrite copies the whole table (and rebuilds its indexes) while holding the lock.
	Rewrite Cost = "rewrite"
)

// Breaks says whom a change breaks during a deploy.
type Breaks string

const (
	// BreaksNone is a hygiene finding: nothing breaks now.
	BreaksNone Breaks = ""
	// BreaksOld breaks the release still running (old code meets the new schema).
	BreaksOld Breaks = "old"
	// BreaksNew breaks the release being rolled out.
	BreaksNew Breaks = "new"
	// BreaksBoth breaks both releases.
	BreaksBoth Breaks = "both"
	// BreaksAvailability breaks no code but stalls traffic through a lock.
	BreaksAvailability Breaks = "availability"
)

// Describe is the phrase the text output uses.
func (b Breaks) Describe() string {
	switch b {
	case BreaksOld:
		return "the old release (still running during the deploy)"
	case BreaksNew:
		return "the new release"
	case BreaksBoth:
		return "both the old and the new release"
	case BreaksAvailability:
		return "availability: traffic waits on the lock"
	}
	return "nothing at deploy time"
}

// Finding is one problem in one statement.
type Finding struct {
	Rule     string
	Severity Severity
	Pos      Pos
	// Statement is the 0-based index of the top-level statement in its file.
	Statement int
	Message   string
	// Lock is the strongest lock the statement takes on the relation concerned;
	// Mode is NoLock when the finding is not about a lock.
	Lock   Lock
	Cost   Cost
	Breaks Breaks
	// Fix is the safe alternative, as SQL (several statements or files where
	// the change needs expand, backfill and contract steps).
	Fix string
	// Suggestion is a drop-in replacement of the statement's text, set only
	// when the fix is a one-statement rewrite (review tools offer it as a
	// suggested change).
	Suggestion string
	// Held names an earlier lock of the same transaction that this statement
	// keeps held longer, e.g. "ACCESS EXCLUSIVE on users since line 3".
	Held string
}

// jsonFinding is the stable, documented JSON shape of a finding.
type jsonFinding struct {
	Rule       string `json:"rule"`
	Severity   string `json:"severity"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	EndLine    int    `json:"end_line"`
	EndColumn  int    `json:"end_column"`
	Statement  int    `json:"statement_index"`
	Message    string `json:"message"`
	Lock       string `json:"lock"`
	Relation   string `json:"relation"`
	Rewrite    string `json:"rewrite"`
	Breaks     string `json:"breaks"`
	Fix        string `json:"fix"`
	Suggestion string `json:"suggestion,omitempty"`
	Held       string `json:"held,omitempty"`
}

func (f Finding) MarshalJSON() ([]byte, error) { return json.Marshal(f.jsonShape()) }

func (f Finding) jsonShape() jsonFinding {
	return jsonFinding{
		Rule: f.Rule, Severity: f.Severity.String(), File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Col,
		EndLine: f.Pos.EndLine, EndColumn: f.Pos.EndCol, Statement: f.Statement, Message: f.Message,
		Lock: f.Lock.Mode.String(), Relation: f.Lock.Relation, Rewrite: string(f.Cost), Breaks: string(f.Breaks),
		Fix: f.Fix, Suggestion: f.Suggestion, Held: f.Held,
	}
}

func (f *Finding) UnmarshalJSON(b []byte) error {
	var j jsonFinding
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	sev, err := ParseSeverity(j.Severity)
	if err != nil {
		return err
	}
	mode, _ := ParseLockMode(j.Lock)
	*f = Finding{Rule: j.Rule, Severity: sev, Pos: Pos{j.File, j.Line, j.Column, j.EndLine, j.EndColumn},
		Statement: j.Statement, Message: j.Message, Lock: Lock{mode, j.Relation}, Cost: Cost(j.Rewrite),
		Breaks: Breaks(j.Breaks), Fix: j.Fix, Suggestion: j.Suggestion, Held: j.Held}
	return nil
}
