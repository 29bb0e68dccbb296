package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleSetTablespace = &Rule{
	ID:       "set-tablespace",
	Severity: Error,
	Summary:  "SET TABLESPACE copies a table, index or materialized view in use while holding ACCESS EXCLUSIVE",
	Doc: `ALTER TABLE / INDEX / MATERIALIZED VIEW ... SET TABLESPACE copies every data file of the relation
to the new tablespace block by block, holding ACCESS EXCLUSIVE for the whole copy: no read or write
of the table gets through (for an index, every query that plans on its table waits too). ALTER
TABLE ALL IN TABLESPACE moves every table there, one after another, each the same way. Move an
index online with REINDEX (TABLESPACE ...) INDEX CONCURRENTLY (PostgreSQL 14+), and a table with
pg_repack --tablespace. A partitioned table has no storage of its own (only the default for new
partitions changes), and tables created by the same file or an unreleased one have no traffic:
neither is flagged.`,
	Check: func(p *Pass) {
		if mv := p.Node().GetAlterTableMoveAllStmt(); mv != nil {
			p.Report(Finding{
				Message: fmt.Sprintf("ALTER %s ALL IN TABLESPACE %s copies every %s stored there to %s, each under ACCESS EXCLUSIVE for its whole copy",
					objectKind(mv.Objtype), mv.OrigTablespacename, strings.ToLower(objectKind(mv.Objtype)), mv.NewTablespacename),
				Lock: Lock{Mode: AccessExclusive}, Cost: Rewrite, Breaks: BreaksAvailability,
				Fix: fmt.Sprintf("-- move them online, outside the migration, one table at a time:\n-- pg_repack --table=<table> --tablespace=%s --moveidx \"$DATABASE_URL\"", mv.NewTablespacename),
			})
			return
		}
		at := p.Node().GetAlterTableStmt()
		if at == nil || at.Relation == nil {
			return
		}
		var space string
		for _, c := range at.Cmds {
			if cmd := c.GetAlterTableCmd(); cmd != nil && cmd.Subtype == pg.AlterTableType_AT_SetTableSpace {
				space = cmd.Name
			}
		}
		if space == "" || !p.Existing(at.Relation) {
			return
		}
		rel, name := QualifiedName(at.Relation), Name(at.Relation)
		f := Finding{Lock: Lock{Mode: AccessExclusive, Relation: rel}, Cost: Rewrite, Breaks: BreaksAvailability}
		switch at.Objtype {
		case pg.ObjectType_OBJECT_TABLE:
			if t := p.Catalog.Table(at.Relation); t != nil && t.Partitioned {
				return // no storage: only the tablespace of future partitions
			}
			f.Message = fmt.Sprintf("SET TABLESPACE copies %s to %s under ACCESS EXCLUSIVE: no read or write of it gets through until the copy ends", name, space)
			f.Fix = fmt.Sprintf("-- move it online instead, outside the migration: pg_repack copies the table while it stays in use\n-- and swaps it in under a brief lock (--moveidx moves its indexes too):\n-- pg_repack --table=%s --tablespace=%s --moveidx \"$DATABASE_URL\"", name, space)
		case pg.ObjectType_OBJECT_INDEX:
			table := "its table"
			ix := p.Catalog.indexes[rel]
			if ix != nil {
				table = DisplayName(ix.Table)
			}
			f.Message = fmt.Sprintf("SET TABLESPACE copies the index %s to %s under ACCESS EXCLUSIVE on it: every query that plans on %s waits until the copy ends", name, space, table)
			f.Fix = indexTablespaceFix(p, at.Relation, ix, space)
		case pg.ObjectType_OBJECT_MATVIEW:
			f.Message = fmt.Sprintf("SET TABLESPACE copies the materialized view %s to %s under ACCESS EXCLUSIVE: no read of it gets through until the copy ends", name, space)
			f.Fix = fmt.Sprintf("-- build a copy in the new tablespace and switch the name over in one short transaction:\nCREATE MATERIALIZED VIEW %s TABLESPACE %s AS <the query of %s>;\n-- (its indexes, built CONCURRENTLY), then:\nBEGIN;\nALTER MATERIALIZED VIEW %s RENAME TO %s;\nALTER MATERIALIZED VIEW %s RENAME TO %s;\nCOMMIT;\nDROP MATERIALIZED VIEW %s;",
				identSQL(at.Relation.Relname+"_new"), identSQL(space), name,
				rvSQL(at.Relation), identSQL(at.Relation.Relname+"_old"), identSQL(at.Relation.Relname+"_new"), identSQL(at.Relation.Relname), identSQL(at.Relation.Relname+"_old"))
		default:
			return
		}
		p.Report(f)
	},
}

// indexTablespaceFix moves an index without blocking: REINDEX CONCURRENTLY
// into the tablespace from PostgreSQL 14, a concurrent rebuild before.
func indexTablespaceFix(p *Pass, rv *pg.RangeVar, ix *Index, space string) string {
	if p.PGVersion() >= 14 {
		return aloneNote(p) + fmt.Sprintf("REINDEX (TABLESPACE %s) INDEX CONCURRENTLY %s;", identSQL(space), rvSQL(rv))
	}
	def := fmt.Sprintf("<the definition of %s>", Name(rv))
	if ix != nil && !ix.Expression && !ix.Partial && len(ix.Columns) > 0 {
		unique := ""
		if ix.Unique {
			unique = "UNIQUE "
		}
		def = fmt.Sprintf("%sINDEX CONCURRENTLY %s ON %s (%s)", unique, identSQL(rv.Relname+"_new"), relSQL(ix.Table), colsSQL(ix.Columns))
	} else {
		def = "INDEX CONCURRENTLY " + identSQL(rv.Relname+"_new") + " ON " + def
	}
	build := fmt.Sprintf("-- REINDEX ... TABLESPACE needs PostgreSQL 14: build a copy there, each statement in a migration file of its own:\nCREATE %s TABLESPACE %s;\n", def, identSQL(space))
	if ix != nil {
		if t := p.Catalog.TableNamed(ix.Table); t != nil {
			if ct := t.Constraint(ix.Name); ct != nil && (ct.Kind == PrimaryKey || ct.Kind == Unique) {
				// The index of a constraint cannot be dropped on its own:
				// the constraint moves to the copy (which takes its name).
				kind := "PRIMARY KEY"
				if ct.Kind == Unique {
					kind = "UNIQUE"
				}
				return build + fmt.Sprintf("-- brief ACCESS EXCLUSIVE, under a lock_timeout (foreign keys referencing it must be dropped first):\nALTER TABLE %s DROP CONSTRAINT %s, ADD CONSTRAINT %s %s USING INDEX %s;",
					relSQL(ix.Table), identSQL(ct.Name), identSQL(ct.Name), kind, identSQL(rv.Relname+"_new"))
			}
		}
	}
	return build + fmt.Sprintf("DROP INDEX CONCURRENTLY %s;\nALTER INDEX %s RENAME TO %s;", rvSQL(rv), identSQL(rv.Relname+"_new"), identSQL(rv.Relname))
}

// objectKind names an object type as ALTER spells it.
func objectKind(t pg.ObjectType) string {
	switch t {
	case pg.ObjectType_OBJECT_INDEX:
		return "INDEX"
	case pg.ObjectType_OBJECT_MATVIEW:
		return "MATERIALIZED VIEW"
	}
	return "TABLE"
}
