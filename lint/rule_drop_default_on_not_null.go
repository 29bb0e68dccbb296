package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropDefaultOnNotNull = &Rule{
	ID:       "drop-default-on-not-null",
	Severity: Error,
	Summary:  "DROP DEFAULT on a NOT NULL column fails the old release's inserts that leave the column out",
	Doc: `While the column is NOT NULL, its default is what lets an INSERT leave it out. The old release,
still running while the deploy rolls out, does exactly that for a column it does not know, or one
it relies on the database to fill: once the default is gone, those inserts fail with a NOT NULL
violation. The change itself is catalog-only (ACCESS EXCLUSIVE for a moment). It catches the
pattern ORMs generate for a new required column, ADD COLUMN ... DEFAULT x NOT NULL followed at once
by ALTER COLUMN ... DROP DEFAULT: the old release never sets that column. Keep the default until no
release that leaves the column out is left, and drop it in the contract phase of a later release.
lockstep knows from the replayed history whether the column is NOT NULL and has a default; SET
DEFAULT NULL counts as dropping it. Tables created by the same file or by an unreleased one are not
flagged.`,
	Check: func(p *Pass) {
		at, cmds := alterCmds(p)
		if at == nil {
			return
		}
		table := p.Catalog.Table(at.Relation)
		// Columns the same statement adds (ADD ... DEFAULT x NOT NULL, ALTER ... DROP DEFAULT):
		// the catalog is from before the statement.
		added := map[string]*Column{}
		for _, cmd := range cmds {
			if cd := cmd.Def.GetColumnDef(); cmd.Subtype == pg.AlterTableType_AT_AddColumn && cd != nil {
				added[cd.Colname] = columnOf(cd, Origin{File: p.File.Source.Path, Line: lineOf(p.File.Source, p.Stmt.Start)})
			}
		}
		for _, cmd := range cmds {
			if cmd.Subtype != pg.AlterTableType_AT_ColumnDefault || nonNull(cmd.Def) != nil {
				continue
			}
			col := table.Column(cmd.Name)
			if a := added[cmd.Name]; a != nil {
				col = a
			}
			if col == nil || !col.NotNull || col.Default == nil || col.Identity || col.Generated {
				continue
			}
			name := Name(at.Relation) + "." + cmd.Name
			f := Finding{
				Message: fmt.Sprintf("dropping the default of %s, which is NOT NULL, fails every insert of the old release that leaves %s out", name, cmd.Name),
				Lock:    p.LockOn(QualifiedName(at.Relation)),
				Breaks:  BreaksOld,
				Fix: fmt.Sprintf(`-- keep the default while any release that leaves %[2]s out of its inserts runs; then, in a later release:
-- lockstep:phase contract
ALTER TABLE %[1]s ALTER COLUMN %[2]s DROP DEFAULT;`, Name(at.Relation), cmd.Name),
			}
			if !p.HasReaders(col.Origin) {
				f.Message = fmt.Sprintf("dropping the default of %s, which is NOT NULL and was added %s, fails every insert of the old release: it does not know %s and leaves it out",
					name, addedWhere(p, col.Origin), cmd.Name)
			} else if declaredPhase(p.File) == Contract {
				f.Severity = Warning
				f.Message += contractNote
			}
			p.ReportAt(-1, f)
		}
	},
}

// columnOf reads what a column definition declares: NOT NULL, a default,
// identity or generated.
func columnOf(cd *pg.ColumnDef, o Origin) *Column {
	col := &Column{Name: cd.Colname, Type: TypeOf(cd.TypeName), NotNull: cd.IsNotNull, Default: nonNull(cd.RawDefault), Origin: o}
	if col.Type.Serial {
		col.NotNull, col.Default = true, nextvalDefault
	}
	for _, cn := range cd.Constraints {
		con := cn.GetConstraint()
		if con == nil {
			continue
		}
		switch con.Contype {
		case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_PRIMARY:
			col.NotNull = true
		case pg.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg.ConstrType_CONSTR_DEFAULT:
			col.Default = nonNull(con.RawExpr)
		case pg.ConstrType_CONSTR_IDENTITY:
			col.Identity, col.NotNull = true, true
		case pg.ConstrType_CONSTR_GENERATED:
			col.Generated = true
		}
	}
	return col
}
