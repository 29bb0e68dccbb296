package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

var ruleAddUniqueConstraint = &Rule{
	ID:       "add-unique-constraint",
	Severity: Error,
	Summary:  "ADD UNIQUE builds its index under ACCESS EXCLUSIVE on a table in use",
	Doc: `ADD CONSTRAINT ... UNIQUE (and ADD COLUMN ... UNIQUE) on an existing table builds a unique index
while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build, a full scan and sort
of the table. Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (SHARE UPDATE
EXCLUSIVE; it cannot run in a transaction block, so under golang-migrate it is alone in its file),
check that it is valid, then attach it with ADD CONSTRAINT ... UNIQUE USING INDEX, which only
changes the catalog. When the replayed history already has a suitable unique index, the fix
uses it. Both forms fail if the data has duplicates, and both reject the old release's
duplicate inserts from then on. Tables created by the same file or an unreleased one are not
flagged.`,
	Check: func(p *Pass) {
		at, cmds, t := lockAlter(p)
		for _, cmd := range cmds {
			switch cmd.Subtype {
			case pg.AlterTableType_AT_AddConstraint:
				con := cmd.Def.GetConstraint()
				if con == nil || con.Contype != pg.ConstrType_CONSTR_UNIQUE || con.Indexname != "" {
					continue
				}
				cols := ConstraintColumns(con)
				name := constraintNameOf(at.Relation, con, cols)
				p.ReportAt(con.Location, uniqueFinding(p, at, t, con, name, cols, ""))
			case pg.AlterTableType_AT_AddColumn:
				cd := cmd.Def.GetColumnDef()
				if cd == nil {
					continue
				}
				for _, cn := range cd.Constraints {
					con := cn.GetConstraint()
					if con == nil || con.Contype != pg.ConstrType_CONSTR_UNIQUE {
						continue
					}
					cols := []string{cd.Colname}
					name := constraintNameOf(at.Relation, con, cols)
					bare := cloneCmd(cmd)
					bcd := bare.Def.GetColumnDef()
					var kept []*pg.Node
					for _, k := range bcd.Constraints {
						if k.GetConstraint().GetContype() != pg.ConstrType_CONSTR_UNIQUE {
							kept = append(kept, k)
						}
					}
					bcd.Constraints = kept
					f := uniqueFinding(p, at, t, con, name, cols, alterSQL(at, bare))
					f.Message = fmt.Sprintf("ADD COLUMN %s ... UNIQUE builds the unique index %s on %s while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build", cd.Colname, name, Name(at.Relation))
					p.ReportAt(con.Location, f)
				}
			}
		}
	},
}

// uniqueFinding builds the finding and fix for a UNIQUE constraint without
// USING INDEX; addColumn is the ADD COLUMN to run first, if any.
func uniqueFinding(p *Pass, at *pg.AlterTableStmt, t *Table, con *pg.Constraint, name string, cols []string, addColumn string) Finding {
	table := Name(at.Relation)
	f := Finding{
		Message: fmt.Sprintf("the UNIQUE constraint %s builds its index on %s while holding ACCESS EXCLUSIVE: reads and writes wait for the whole build", name, table),
		Lock:    Lock{Mode: AccessExclusive, Relation: QualifiedName(at.Relation)},
		Cost:    Scan,
		Breaks:  BreaksAvailability,
	}
	if t != nil && t.Partitioned && addColumn == "" {
		f.Message += "; USING INDEX is not supported on a partitioned table: build the unique index partition by partition instead"
		f.Fix = partitionedUniqueFix(p, at, t, name, cols, con)
		return f
	}
	if ix := uniqueIndexOn(p.Catalog, t, cols); ix != nil && addColumn == "" {
		f.Message += fmt.Sprintf("; the unique index %s (%s) already exists: attach it instead", ix.Name, originOrUnknown(ix.Origin))
		f.Fix = "-- instant (check first that the index is valid: SELECT indisvalid FROM pg_index WHERE indexrelid = '" +
			relSQL(qualify(ix.Schema, ix.Name)) + "'::regclass)\n" + usingIndexSQL(at, pg.ConstrType_CONSTR_UNIQUE, name, ix.Name, con)
		return f
	}
	fix := uniquePlanLine(at, con, name, cols, addColumn)
	if addColumn != "" {
		fix = "-- 1: the column alone (instant)\n" + addColumn + "\n"
	}
	fix += aloneNote(p) + "-- builds the index without blocking reads or writes\n" + uniqueIndexSQL(at.Relation, name, cols, con) +
		"\n" + laterFileNote + "-- instant once the index is valid (SELECT indisvalid FROM pg_index WHERE indexrelid = '" + identSQL(name) + "'::regclass)\n" +
		usingIndexSQL(at, pg.ConstrType_CONSTR_UNIQUE, name, name, con)
	f.Fix = fix
	return f
}

// uniquePlanLine names lockstep plan add-unique when it can write this
// constraint: on columns the table has already, a plain btree index with no
// INCLUDE, storage options, tablespace, NULLS NOT DISTINCT or deferral;
// "" otherwise.
func uniquePlanLine(at *pg.AlterTableStmt, con *pg.Constraint, name string, cols []string, addColumn string) string {
	if addColumn != "" || len(cols) == 0 || (con != nil && (con.NullsNotDistinct || len(con.Including) > 0 ||
		len(con.Options) > 0 || con.Indexspace != "" || con.Deferrable)) {
		return ""
	}
	arg := planColumnArg(at.Relation, cols[0])
	for _, c := range cols[1:] {
		arg += "," + identSQL(c)
	}
	flagName := ""
	dflt := strings.Join(append(append([]string{at.Relation.Relname}, cols...), "key"), "_")
	if len(dflt) > 63 {
		dflt = dflt[:63]
	}
	if name != dflt {
		flagName = identSQL(name)
	}
	return planFixLine("add-unique", []string{arg}, "--name", flagName)
}

// originOrUnknown says where an object was created.
func originOrUnknown(o Origin) string {
	if o.File == "" {
		return "outside the linted history"
	}
	return fmt.Sprintf("created at %s:%d", o.File, o.Line)
}

// partitionedUniqueFix builds a partitioned table's unique index without a
// long lock: an invalid index on the parent alone, each partition's built
// concurrently and attached, after which the parent's is valid. It enforces
// uniqueness and serves foreign keys; the constraint itself has no online
// form there (ADD CONSTRAINT ... USING INDEX is refused on partitioned
// tables).
func partitionedUniqueFix(p *Pass, at *pg.AlterTableStmt, t *Table, name string, cols []string, con *pg.Constraint) string {
	parent := &pg.IndexStmt{Idxname: name, Relation: at.Relation, AccessMethod: "btree", Unique: true}
	for _, c := range cols {
		parent.IndexParams = append(parent.IndexParams, &pg.Node{Node: &pg.Node_IndexElem{IndexElem: &pg.IndexElem{Name: c,
			Ordering: pg.SortByDir_SORTBY_DEFAULT, NullsOrdering: pg.SortByNulls_SORTBY_NULLS_DEFAULT}}})
	}
	if con != nil {
		parent.NullsNotDistinct = con.NullsNotDistinct
	}
	only := pgtree.Clone(at.Relation)
	only.Inh = false
	parent.Relation = only
	var b strings.Builder
	b.WriteString("-- instant: an index on the parent alone, invalid until every partition's is attached\n")
	b.WriteString(stmtSQL(&pg.Node{Node: &pg.Node_IndexStmt{IndexStmt: parent}}) + "\n")
	parts := p.Catalog.Partitions(t.Qualified())
	if len(parts) == 0 {
		b.WriteString("-- then for each partition: build its index concurrently (a file of its own), and attach it\n")
		b.WriteString(aloneNote(p) + uniqueIndexSQL(&pg.RangeVar{Relname: "<partition>", Inh: true}, "<partition>_"+strings.Join(cols, "_")+"_key", cols, con) + "\n")
		b.WriteString(fmt.Sprintf("ALTER INDEX %s ATTACH PARTITION %s;\n", identSQL(name), "<partition>_"+strings.Join(cols, "_")+"_key"))
	}
	for _, pt := range parts {
		rv := &pg.RangeVar{Relname: pt.Name, Inh: true}
		if pt.Schema != "public" {
			rv.Schemaname = pt.Schema
		}
		ix := defaultConstraintName(pt.Name, cols, Unique)
		b.WriteString(aloneNote(p) + uniqueIndexSQL(rv, ix, cols, con) + "\n")
		b.WriteString(fmt.Sprintf("%s-- instant:\nALTER INDEX %s ATTACH PARTITION %s;\n", laterFileNote, identSQL(name), relSQL(qualify(pt.Schema, ix))))
	}
	b.WriteString("-- the valid unique index enforces uniqueness and can back foreign keys; the constraint itself has no online form on a partitioned table")
	return b.String()
}
