package migrator

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// Batch is a -- lockstep:batch header and the one UPDATE or DELETE it runs
// in key ranges:
//
//	-- lockstep:batch key=id size=5000 [target=100ms] [pause=50ms]
//	UPDATE users SET email_lower = lower(email) WHERE email_lower IS NULL;
//
// The statement need not be idempotent: each key range runs exactly once,
// in its own transaction with its checkpoint.
type Batch struct {
	// Key is the column the ranges are cut on (folded to lower case unless
	// written in double quotes, as PostgreSQL does).
	Key string
	// Size is the first batch's number of keys; it adapts afterwards.
	Size int
	// Target overrides migrations.backfill.target_batch_duration.
	Target time.Duration
	// Pause, when set, overrides migrations.backfill.pause (0: none).
	Pause *time.Duration
	// Line is the header's line.
	Line int

	// Kind is UPDATE or DELETE.
	Kind string
	// Table is the target table as written (schema-qualified when it was).
	Table *pg.RangeVar
	// Prelude holds SET statements before the statement, run at the start
	// of each batch's transaction.
	Prelude []string
	stmt    string // the statement's text
}

// MaxBatchSize bounds the size a header may ask for.
const MaxBatchSize = 1_000_000

var identRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_$]*|"([^"]|"")+")$`)

// parseBatch reads a file's lockstep:batch header, if any, and checks the
// file holds what a batch can run. Errors are fault.Usage naming file:line.
func parseBatch(m *Migration) (*Batch, error) {
	d, ok := m.file.Directive(lint.DirBatch)
	if !ok {
		return nil, nil
	}
	bad := func(format string, args ...any) error {
		return fault.Errorf(fault.Usage, "%s:%d: lockstep:batch: %s", m.Path, d.Line, fmt.Sprintf(format, args...))
	}
	b := &Batch{Line: d.Line}
	seen := map[string]bool{}
	for _, f := range strings.Fields(d.Args) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return nil, bad("%q: want key=value (key=id size=5000)", f)
		}
		if seen[k] {
			return nil, bad("%s given twice", k)
		}
		seen[k] = true
		switch k {
		case "key":
			if !identRe.MatchString(v) {
				return nil, bad("key=%s: want a column name", v)
			}
			if strings.HasPrefix(v, `"`) {
				b.Key = strings.ReplaceAll(v[1:len(v)-1], `""`, `"`)
			} else {
				b.Key = strings.ToLower(v)
			}
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxBatchSize {
				return nil, bad("size=%s: want a whole number from 1 to %d", v, MaxBatchSize)
			}
			b.Size = n
		case "target":
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return nil, bad("target=%s: want a duration such as 100ms", v)
			}
			b.Target = t
		case "pause":
			p, err := time.ParseDuration(v)
			if err != nil || p < 0 {
				return nil, bad("pause=%s: want a duration such as 50ms (0 for none)", v)
			}
			b.Pause = &p
		default:
			return nil, bad("unknown setting %q (want key, size, target, pause)", k)
		}
	}
	if b.Key == "" {
		return nil, bad("key= is required: the column the batches are cut on, e.g. key=id")
	}
	if b.Size == 0 {
		b.Size = 1000
	}
	for _, s := range m.file.Statements {
		switch n := s.Node; {
		case n.GetVariableSetStmt() != nil:
			if b.stmt != "" {
				return nil, bad("a SET after the %s: put it before", b.Kind)
			}
			b.Prelude = append(b.Prelude, s.Text())
		case n.GetUpdateStmt() != nil || n.GetDeleteStmt() != nil:
			if b.stmt != "" {
				line, _ := m.file.Source.Position(s.Start)
				return nil, fault.Errorf(fault.Usage, "%s:%d: a lockstep:batch file holds one UPDATE or DELETE; move this one to a file of its own", m.Path, line)
			}
			b.stmt = s.Text()
			if u := n.GetUpdateStmt(); u != nil {
				b.Kind, b.Table = "UPDATE", u.Relation
			} else {
				b.Kind, b.Table = "DELETE", n.GetDeleteStmt().Relation
			}
		default:
			line, _ := m.file.Source.Position(s.Start)
			return nil, fault.Errorf(fault.Usage, "%s:%d: a lockstep:batch file holds one UPDATE or DELETE (and SETs before it), not this statement", m.Path, line)
		}
	}
	if b.stmt == "" {
		return nil, bad("the file has no UPDATE or DELETE to run in batches")
	}
	return b, nil
}

// quoteIdent quotes an identifier for SQL.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// TableName is the quoted, schema-qualified (when written so) target table,
// with ONLY when the statement said it.
func (b *Batch) tableSQL() string {
	name := quoteIdent(b.Table.Relname)
	if b.Table.Schemaname != "" {
		name = quoteIdent(b.Table.Schemaname) + "." + name
	}
	return name
}

func (b *Batch) only() string {
	if !b.Table.Inh {
		return "ONLY "
	}
	return ""
}

// qualifiedKey is the key column as the statement sees it: qualified by the
// target's alias, or by its name.
func (b *Batch) qualifiedKey() string {
	q := b.Table.Relname
	if b.Table.Alias != nil && b.Table.Alias.Aliasname != "" {
		q = b.Table.Alias.Aliasname
	}
	return quoteIdent(q) + "." + quoteIdent(b.Key)
}

// rangeStatements returns the statement with a key range added to its WHERE
// clause through pg_query's parse tree and deparser: first bounds only the
// upper end ($1), next both ($1 < key <= $2). keyType is the key column's
// type as format_type prints it; the bounds are passed as text and cast.
func (b *Batch) rangeStatements(keyType string) (first, next string, err error) {
	k := b.qualifiedKey()
	first, err = b.withRange(fmt.Sprintf("SELECT WHERE %s <= $1::text::%s", k, keyType))
	if err != nil {
		return "", "", err
	}
	next, err = b.withRange(fmt.Sprintf("SELECT WHERE %s > $1::text::%s AND %s <= $2::text::%s", k, keyType, k, keyType))
	return first, next, err
}

func (b *Batch) withRange(cond string) (string, error) {
	ct, err := pg.Parse(cond)
	if err != nil {
		return "", fmt.Errorf("key range %q: %w", cond, err)
	}
	rng := ct.Stmts[0].Stmt.GetSelectStmt().WhereClause
	tree, err := pg.Parse(b.stmt)
	if err != nil {
		return "", err
	}
	n := tree.Stmts[0].Stmt
	and := func(orig *pg.Node) *pg.Node {
		if orig == nil {
			return rng
		}
		return pg.MakeBoolExprNode(pg.BoolExprType_AND_EXPR, []*pg.Node{rng, orig}, -1)
	}
	if u := n.GetUpdateStmt(); u != nil {
		u.WhereClause = and(u.WhereClause)
	} else {
		d := n.GetDeleteStmt()
		d.WhereClause = and(d.WhereClause)
	}
	return pg.Deparse(tree)
}

// boundsSQL finds the upper key of the next batch and how many keys it
// spans: the size-th key after $1 in key order (first: from the start).
func (b *Batch) boundsSQL(keyType string, first bool) string {
	key := quoteIdent(b.Key)
	where := fmt.Sprintf("WHERE %s > $1::text::%s", key, keyType)
	limit := "$2"
	if first {
		where, limit = fmt.Sprintf("WHERE %s IS NOT NULL", key), "$1"
	}
	return fmt.Sprintf(`SELECT b.k::text AS upper, count(*) OVER () AS keys FROM (SELECT %s AS k FROM %s%s %s ORDER BY %s LIMIT %s) b ORDER BY b.k DESC LIMIT 1`,
		key, b.only(), b.tableSQL(), where, key, limit)
}

// remainingSQL counts the keys after $1 (first: all of them).
func (b *Batch) remainingSQL(keyType string, first bool) string {
	key := quoteIdent(b.Key)
	if first {
		return fmt.Sprintf(`SELECT count(*) FROM %s%s WHERE %s IS NOT NULL`, b.only(), b.tableSQL(), key)
	}
	return fmt.Sprintf(`SELECT count(*) FROM %s%s WHERE %s > $1::text::%s`, b.only(), b.tableSQL(), key, keyType)
}
