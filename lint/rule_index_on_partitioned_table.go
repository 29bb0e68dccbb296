package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

var ruleIndexOnPartitionedTable = &Rule{
	ID:       "index-on-partitioned-table",
	Severity: Error,
	Summary:  "CREATE INDEX on a partitioned table locks every partition against writes, and CONCURRENTLY is refused",
	Doc: `CREATE INDEX on a partitioned table builds the index on every partition, one after another,
holding SHARE on the parent and on each partition until the last build ends: writes to the whole
table wait for all of it. CREATE INDEX CONCURRENTLY is refused on a partitioned table ("cannot
create index on partitioned table ... concurrently", PostgreSQL 13 to 17). The online path: create
the index on the parent alone with ON ONLY (instant; it stays invalid), build each partition's
index CONCURRENTLY in a file of its own, and attach each one with ALTER INDEX ... ATTACH PARTITION;
the parent's index becomes valid when every partition has one. lockstep lists the partitions the
history created. The table must be known to be partitioned from the history; ON ONLY is not
flagged, nor are tables created by the same file or an unreleased one.`,
	Check: func(p *Pass) {
		is := p.Node().GetIndexStmt()
		if is == nil || is.Relation == nil || !is.Relation.Inh {
			return
		}
		t := p.Catalog.Table(is.Relation)
		if t == nil || !t.Partitioned || !p.Existing(is.Relation) {
			return
		}
		name := Name(is.Relation)
		fix := partitionedIndexFix(p, is, t)
		if is.Concurrent {
			p.Report(Finding{
				Message: fmt.Sprintf("CREATE INDEX CONCURRENTLY fails on the partitioned table %s: PostgreSQL cannot build an index on a partitioned table concurrently", name),
				Lock:    p.LockOn(QualifiedName(is.Relation)),
				Breaks:  BreaksNew,
				Fix:     fix,
			})
			return
		}
		parts := p.Catalog.allPartitions(t.Qualified())
		which := "each of its partitions"
		if len(parts) > 0 {
			names := make([]string, len(parts))
			for i, q := range parts {
				names[i] = DisplayName(q)
			}
			which = strings.Join(names, ", ")
		}
		p.Report(Finding{
			Message: fmt.Sprintf("CREATE INDEX on the partitioned table %s builds it on %s holding SHARE on all of them: writes to the whole table wait until the last build ends", name, which),
			Lock:    p.LockOn(QualifiedName(is.Relation)),
			Cost:    Scan,
			Breaks:  BreaksAvailability,
			Fix:     fix,
		})
	},
}

// partitionedIndexFix is the ON ONLY path: the parent's index alone, each
// partition's built concurrently in its own file, attached to it.
func partitionedIndexFix(p *Pass, is *pg.IndexStmt, t *Table) string {
	parentIdx := is.Idxname
	if parentIdx == "" {
		parentIdx = t.Name + "_" + strings.Join(IndexColumns(is), "_") + "_idx"
	}
	var b strings.Builder
	b.WriteString("-- the index on the parent alone: instant, invalid until every partition has one\n")
	b.WriteString(onOnlySQL(is, is.Relation, parentIdx) + "\n")
	writePartitionIndexes(&b, p, is, t.Qualified(), schemaOf(is.Relation), parentIdx)
	return strings.TrimRight(b.String(), "\n")
}

func writePartitionIndexes(b *strings.Builder, p *Pass, is *pg.IndexStmt, parent, schema, parentIdx string) {
	parts := p.Catalog.Partitions(parent)
	if len(parts) == 0 {
		rv := &pg.RangeVar{Relname: "<partition>", Inh: true, Relpersistence: "p"}
		fmt.Fprintf(b, "-- for each partition of %s, each statement in a migration file of its own:\n%s\n%s\n",
			DisplayName(parent), concurrentIndexSQL(is, rv, "<partition>_idx"),
			fmt.Sprintf("ALTER INDEX %s ATTACH PARTITION %s;", relSQL(qualify(schema, parentIdx)), "<partition>_idx"))
		return
	}
	for _, part := range parts {
		rv := &pg.RangeVar{Schemaname: part.Schema, Relname: part.Name, Inh: true, Relpersistence: "p"}
		if part.Schema == "public" && schema == "public" {
			rv.Schemaname = ""
		}
		idx := part.Name + "_" + strings.Join(IndexColumns(is), "_") + "_idx"
		if part.Partitioned {
			fmt.Fprintf(b, "-- %s is partitioned too: the same steps one level down\n%s\n", part.Name, onOnlySQL(is, rv, idx))
			writePartitionIndexes(b, p, is, part.Qualified(), part.Schema, idx)
		} else {
			fmt.Fprintf(b, "-- in a migration file of its own (CONCURRENTLY cannot run in a transaction):\n%s\n", concurrentIndexSQL(is, rv, idx))
		}
		fmt.Fprintf(b, "ALTER INDEX %s ATTACH PARTITION %s;\n", relSQL(qualify(schema, parentIdx)), relSQL(qualify(part.Schema, idx)))
	}
}

// onOnlySQL renders CREATE INDEX name ON ONLY rel (...).
func onOnlySQL(is *pg.IndexStmt, rv *pg.RangeVar, name string) string {
	c := pgtree.Clone(is)
	c.Relation = pgtree.Clone(rv)
	c.Relation.Inh = false
	c.Idxname, c.Concurrent = name, false
	return stmtSQL(&pg.Node{Node: &pg.Node_IndexStmt{IndexStmt: c}})
}

// concurrentIndexSQL renders CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON rel (...).
func concurrentIndexSQL(is *pg.IndexStmt, rv *pg.RangeVar, name string) string {
	c := pgtree.Clone(is)
	c.Relation = rv
	c.Idxname, c.Concurrent, c.IfNotExists = name, true, true
	return stmtSQL(&pg.Node{Node: &pg.Node_IndexStmt{IndexStmt: c}})
}
