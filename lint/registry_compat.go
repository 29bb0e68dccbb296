package lint

import (
	"fmt"
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// compatRules: changes that break the old or the new release.
var compatRules = []*Rule{
	ruleDropColumn,
	ruleSetNotNull,
	ruleDropTable,
	ruleRenameColumn,
	ruleRenameTable,
	ruleRenameSchema,
	ruleDropSchema,
	ruleDropDatabase,
	ruleAddNotNullColumnNoDefault,
	ruleDropDefaultOnNotNull,
	ruleAddEnumValueInTransaction,
	ruleAlterEnumRenameValue,
	ruleDropConstraint,
	ruleDropNotNull,
	ruleRenameIndexOrConstraint,
}

// alterCmds returns the subcommands of an ALTER TABLE on a table with
// readers, or nil.
func alterCmds(p *Pass) (*pg.AlterTableStmt, []*pg.AlterTableCmd) {
	at := p.Node().GetAlterTableStmt()
	if at == nil || (at.Objtype != pg.ObjectType_OBJECT_TABLE && at.Objtype != pg.ObjectType_OBJECT_FOREIGN_TABLE) ||
		!p.Existing(at.Relation) {
		return nil, nil
	}
	var cmds []*pg.AlterTableCmd
	for _, c := range at.Cmds {
		if cmd := c.GetAlterTableCmd(); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return at, cmds
}

// addedWhere says where an object was created, for messages: "by this
// statement", "at line 12" (of the file being linted) or "by
// 0042_x.up.sql:3"; "" for an object the history never created.
func addedWhere(p *Pass, o Origin) string {
	switch {
	case o.File == "":
		return ""
	case o.File != p.File.Source.Path:
		return fmt.Sprintf("by %s:%d", o.File, o.Line)
	case o.Line == lineOf(p.File.Source, p.Stmt.Start):
		return "by this statement"
	}
	return fmt.Sprintf("at line %d", o.Line)
}

// referencingConstraints lists the foreign keys of other tables that
// reference a table, as "table (constraint)", sorted.
func referencingConstraints(c *Catalog, qualified string) (tables []string, fks []string) {
	seen := map[string]bool{}
	for _, t := range c.Tables() {
		if t.Qualified() == qualified {
			continue
		}
		for _, ct := range t.Constraints {
			if ct.Kind == ForeignKey && ct.References == qualified {
				fks = append(fks, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", DisplayName(t.Qualified()), ct.Name))
				if !seen[t.Qualified()] {
					seen[t.Qualified()] = true
					tables = append(tables, DisplayName(t.Qualified()))
				}
			}
		}
	}
	return tables, fks
}

// referencedTables lists the tables a table's own foreign keys reference.
func referencedTables(t *Table) []string {
	if t == nil {
		return nil
	}
	var out []string
	for _, ct := range t.Constraints {
		if ct.Kind == ForeignKey && ct.References != "" && ct.References != t.Qualified() && !contains(out, DisplayName(ct.References)) {
			out = append(out, DisplayName(ct.References))
		}
	}
	sort.Strings(out)
	return out
}

// tablesInSchema lists the catalog's tables of a schema, sorted.
func tablesInSchema(c *Catalog, schema string) []string {
	var out []string
	for _, t := range c.Tables() {
		if t.Schema == schema {
			out = append(out, t.Qualified())
		}
	}
	return out
}

// list joins names for a message: "a", "a and b", "a, b and c".
func list(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// contractNote is appended to a finding in a file declared contract.
const contractNote = " (declared contract: lockstep migrate runs it only once no release before the one that adds this file is left; make sure that release no longer uses it)"

// ownLines reports whether the statement has its source lines to itself,
// so a suggestion can replace them.
func ownLines(p *Pass) bool {
	if p.Stmt.Via != nil {
		return false
	}
	lines := strings.TrimSpace(p.StatementLines())
	lines = strings.TrimSpace(strings.TrimSuffix(lines, ";"))
	return lines == strings.TrimSpace(p.Stmt.Text())
}
