package migrator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/lint"
)

// Status is every migration's state, for `lockstep migrate status`.
type Status struct {
	Dir        string            `json:"dir"`
	Streams    []StreamStatus    `json:"streams"`
	Releases   []ReleaseStatus   `json:"releases"`
	Migrations []MigrationStatus `json:"migrations"`
}

// StreamStatus is one phase's golang-migrate table.
type StreamStatus struct {
	Phase   string  `json:"phase"`
	Table   string  `json:"table"`
	Version *uint64 `json:"version"`
	Dirty   bool    `json:"dirty"`
}

// ReleaseStatus is a recorded release.
type ReleaseStatus struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Commit     string     `json:"commit,omitempty"`
	DeployedAt *time.Time `json:"deployed_at,omitempty"`
}

// Migration states.
const (
	StateApplied = "applied"
	StatePending = "pending" // may run in its phase's next command
	StateWaiting = "waiting" // blocked: see Blocked
	StateRunning = "part-way"
	StateNew     = "new"     // not recorded yet
	StateChanged = "changed" // applied, but the file changed since
	StateMissing = "missing" // recorded, but no file any more
)

// MigrationStatus is one migration's state.
type MigrationStatus struct {
	Version      uint64          `json:"version"`
	Name         string          `json:"name"`
	Phase        string          `json:"phase"`
	IntroducedIn string          `json:"introduced_in,omitempty"`
	State        string          `json:"state"`
	AppliedAt    *time.Time      `json:"applied_at,omitempty"`
	AppliedIn    string          `json:"applied_in,omitempty"`
	Actor        string          `json:"actor,omitempty"`
	DurationMS   int64           `json:"duration_ms,omitempty"`
	Blocked      string          `json:"blocked_by,omitempty"`
	Backfill     *BackfillStatus `json:"backfill,omitempty"`
}

// BackfillStatus is a batched backfill's checkpoint.
type BackfillStatus struct {
	Key       string  `json:"key"`
	LastKey   string  `json:"last_key,omitempty"`
	MaxKey    string  `json:"max_key,omitempty"`
	Percent   float64 `json:"percent,omitempty"`
	RowsDone  int64   `json:"rows_done"`
	Batches   int64   `json:"batches"`
	BatchSize int     `json:"batch_size"`
	State     string  `json:"state"`
}

// Status reads the state of every migration without changing anything.
func (m *Migrator) Status(ctx context.Context) (*Status, error) {
	if err := m.load(ctx); err != nil {
		return nil, err
	}
	st := &Status{Dir: m.o.Dir}
	for _, p := range Phases {
		s := m.streams[p]
		ss := StreamStatus{Phase: p.String(), Table: s.table, Dirty: s.dirty}
		if s.exists {
			v := s.version
			ss.Version = &v
		}
		st.Streams = append(st.Streams, ss)
	}
	rels, err := m.l.Releases(ctx)
	if err != nil {
		return nil, m.classify(err, "read the releases")
	}
	for _, r := range rels {
		st.Releases = append(st.Releases, ReleaseStatus{Name: r.Name, State: string(r.State), Commit: r.Commit, DeployedAt: r.DeployedAt})
	}
	bfs, err := m.l.Backfills(ctx)
	if err != nil {
		return nil, m.classify(err, "read the backfills")
	}
	byBF := map[uint64]ledger.Backfill{}
	for _, b := range bfs {
		byBF[b.Version] = b
	}
	versions := map[uint64]bool{}
	for v := range m.records {
		versions[v] = true
	}
	for v := range m.byVersion {
		versions[v] = true
	}
	var order []uint64
	for v := range versions {
		order = append(order, v)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	waiting := map[lint.Phase]string{}
	for _, v := range order {
		f, onDisk := m.byVersion[v]
		rec, known := m.records[v]
		ms := MigrationStatus{Version: v, Name: m.label(v), IntroducedIn: rec.IntroducedIn}
		if onDisk {
			ms.Phase = f.Phase.String()
		} else {
			ms.Phase = rec.Phase
		}
		switch {
		case known && rec.Applied():
			ms.State, ms.AppliedAt, ms.AppliedIn, ms.Actor, ms.DurationMS = StateApplied, rec.AppliedAt, rec.AppliedIn, rec.Actor, rec.Duration.Milliseconds()
			if onDisk && rec.Checksum != f.Checksum {
				ms.State = StateChanged
				ms.Blocked = "the file changed after it was applied; lockstep migrate refuses to go on until it is restored or accepted"
			}
			if !onDisk {
				ms.State = StateMissing
			}
		case !onDisk:
			ms.State, ms.Blocked = StateMissing, "recorded, but the file is not in "+m.o.Dir
		default:
			ph := f.Phase
			if behind := waiting[ph]; behind != "" {
				ms.State, ms.Blocked = StateWaiting, "behind "+behind
				break
			}
			if s := m.streams[ph]; s.dirty && s.version == v {
				ms.State = StateRunning
				if run, ok, _ := m.l.RunOf(ctx, v); ok {
					ms.Blocked = fmt.Sprintf("%d of %d units done since %s: the next lockstep migrate %s resumes it", run.UnitsDone, run.Units, run.StartedAt.Format(time.RFC3339), ph)
				}
				break
			}
			if !known {
				ms.State = StateNew
				ms.Blocked = "not recorded yet: the next lockstep migrate --release R introduces it in R"
				if ph == lint.Contract {
					ms.Blocked += ", then it waits for a release after R to be fully deployed"
				}
				waiting[ph] = f.Label
				break
			}
			w, err := m.decide(ctx, f)
			if err != nil {
				return nil, err
			}
			if w != nil {
				ms.State, ms.Blocked = StateWaiting, strings.TrimPrefix(w.Reason, f.Label+" ")
				waiting[ph] = f.Label
				break
			}
			ms.State, ms.Blocked = StatePending, "runs with lockstep migrate "+ph.String()
		}
		if b, ok := byBF[v]; ok {
			bs := &BackfillStatus{Key: b.KeyColumn, LastKey: b.LastKey, RowsDone: b.RowsDone, Batches: b.Batches, BatchSize: b.BatchSize, State: string(b.State)}
			if b.State != ledger.BackfillDone && onDisk && f.Batch != nil {
				m.keyRange(ctx, f, bs)
			}
			if b.State == ledger.BackfillDone {
				bs.Percent = 100
			}
			ms.Backfill = bs
			if !rec.Applied() && ms.State == StatePending {
				ms.State = StateRunning
				ms.Blocked = string(b.State) + ": the next lockstep migrate backfill resumes it"
			}
		}
		st.Migrations = append(st.Migrations, ms)
	}
	return st, nil
}

// keyRange fills the largest key and, for a numeric key, how far the
// checkpoint is along it.
func (m *Migrator) keyRange(ctx context.Context, f *Migration, bs *BackfillStatus) {
	b := f.Batch
	var lo, hi *string
	q := fmt.Sprintf(`SELECT min(%[1]s)::text, max(%[1]s)::text FROM %[2]s%[3]s`, quoteIdent(b.Key), b.only(), b.tableSQL())
	if err := m.l.Pool().QueryRow(ctx, q).Scan(&lo, &hi); err != nil || hi == nil {
		return
	}
	bs.MaxKey = *hi
	l, e1 := strconv.ParseFloat(*lo, 64)
	h, e2 := strconv.ParseFloat(*hi, 64)
	c, e3 := strconv.ParseFloat(bs.LastKey, 64)
	if e1 == nil && e2 == nil && e3 == nil && h > l {
		bs.Percent = min(100, max(0, 100*(c-l)/(h-l)))
	}
}

// WriteText writes the status as a table.
func (s *Status) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MIGRATION\tPHASE\tINTRODUCED\tSTATE")
	for _, m := range s.Migrations {
		intro := m.IntroducedIn
		if intro == "" {
			intro = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, m.Phase, intro, m.describe())
	}
	if len(s.Migrations) == 0 {
		fmt.Fprintf(tw, "(no migrations in %s)\t\t\t\n", s.Dir)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, st := range s.Streams {
		v := "none"
		if st.Version != nil {
			v = strconv.FormatUint(*st.Version, 10)
		}
		if st.Dirty {
			v += " (dirty)"
		}
		parts = append(parts, st.Table+" "+v)
	}
	fmt.Fprintf(w, "\nversions: %s\n", strings.Join(parts, " · "))
	if len(s.Releases) > 0 {
		var rs []string
		for _, r := range s.Releases {
			rs = append(rs, r.Name+" "+r.State)
		}
		fmt.Fprintf(w, "releases: %s\n", strings.Join(rs, " · "))
	}
	return nil
}

func (m MigrationStatus) describe() string {
	switch m.State {
	case StateApplied:
		d := fmt.Sprintf("applied %s by %s", m.AppliedAt.Local().Format("2006-01-02 15:04"), m.AppliedIn)
		var extra []string
		if m.Actor != "" {
			extra = append(extra, m.Actor)
		}
		if m.DurationMS > 0 || m.Actor != "baseline" {
			extra = append(extra, (time.Duration(m.DurationMS) * time.Millisecond).String())
		}
		if m.Backfill != nil {
			extra = append(extra, grouped(m.Backfill.RowsDone)+" rows")
		}
		return d + " (" + strings.Join(extra, ", ") + ")"
	case StateRunning:
		if b := m.Backfill; b != nil {
			at := "not started"
			if b.LastKey != "" {
				at = fmt.Sprintf("at %s=%s", b.Key, b.LastKey)
				if b.MaxKey != "" {
					at += " of " + b.MaxKey
				}
				if b.Percent > 0 {
					at += fmt.Sprintf(" (%.0f%%)", b.Percent)
				}
			}
			return fmt.Sprintf("backfill %s: %s rows in %d batches, %s; the next lockstep migrate backfill resumes it", b.State, grouped(b.RowsDone), b.Batches, at)
		}
		return "part-way: " + m.Blocked
	}
	if m.Blocked != "" {
		return m.State + ": " + m.Blocked
	}
	return m.State
}

// WriteJSON writes the status as indented JSON.
func (s *Status) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}
