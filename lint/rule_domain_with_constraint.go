package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDomainWithConstraint = &Rule{
	ID:       "domain-with-constraint",
	Severity: Error,
	Summary:  "a domain CHECK or NOT NULL is checked by scanning every table that uses the domain while writes wait; prefer table constraints",
	Doc: `ALTER DOMAIN ... ADD CONSTRAINT (without NOT VALID), ALTER DOMAIN ... SET NOT NULL and ALTER
DOMAIN ... VALIDATE CONSTRAINT check every existing value: PostgreSQL scans each table with a
column of the domain while holding SHARE on it, so writes to all of them wait for the whole scan.
Unlike a table's VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE, reads and writes go on), a domain's
has no online form: NOT VALID only postpones the same scan to VALIDATE. lockstep knows from the
replayed history which tables use the domain; for a domain the history did not create it
assumes some do. A domain created with a CHECK or NOT NULL is a hint: adding a column of it to a
table in use rewrites that table (PostgreSQL 13 to 17 check the constraint against every row),
and changing the constraint later is the scan above. Put the rule on the columns instead: a
table CHECK constraint can be added NOT VALID and validated without blocking writes.`,
	Check: func(p *Pass) {
		switch n := p.Node(); {
		case n.GetCreateDomainStmt() != nil:
			createDomainWithConstraint(p, n.GetCreateDomainStmt())
		case n.GetAlterDomainStmt() != nil:
			alterDomainScan(p, n.GetAlterDomainStmt())
		}
	},
}

func createDomainWithConstraint(p *Pass, cd *pg.CreateDomainStmt) {
	var kinds []string
	var check *pg.Node
	for _, cn := range cd.Constraints {
		switch con := cn.GetConstraint(); con.GetContype() {
		case pg.ConstrType_CONSTR_CHECK:
			kinds = append(kinds, "a CHECK")
			if check == nil {
				check = con.RawExpr
			}
		case pg.ConstrType_CONSTR_NOTNULL:
			kinds = append(kinds, "NOT NULL")
		}
	}
	if len(kinds) == 0 {
		return
	}
	schema, name := splitName(cd.Domainname)
	domain := DisplayName(qualify(schema, name))
	bare := p.Rewrite(func(n *pg.Node) {
		c := n.GetCreateDomainStmt()
		var keep []*pg.Node
		for _, cn := range c.Constraints {
			if t := cn.GetConstraint().GetContype(); t != pg.ConstrType_CONSTR_CHECK && t != pg.ConstrType_CONSTR_NOTNULL {
				keep = append(keep, cn)
			}
		}
		c.Constraints = keep
	})
	fix := "-- the domain without constraints:\n" + bare + "\n-- and the rule on each column of it, as table constraints (on a table in use: NOT VALID, then VALIDATE in a later file):\n"
	if check != nil {
		fix += fmt.Sprintf("ALTER TABLE <table> ADD CONSTRAINT <table>_<column>_check CHECK (%s) NOT VALID;\n", valueAs(check, "<column>"))
	}
	if strings.Contains(strings.Join(kinds, ","), "NOT NULL") {
		fix += "ALTER TABLE <table> ADD CONSTRAINT <table>_<column>_not_null CHECK (<column> IS NOT NULL) NOT VALID;\n"
	}
	p.Report(Finding{
		Severity: Hint,
		Message: fmt.Sprintf("domain %s has %s: adding a column of it to a table in use rewrites that table, and changing the constraint later scans every table that uses %s while writes wait; table constraints on its columns can be changed online",
			domain, strings.Join(kinds, " and "), domain),
		Fix: strings.TrimRight(fix, "\n"),
	})
}

// valueAs renders a domain CHECK expression for a column: VALUE becomes the
// column.
func valueAs(e *pg.Node, col string) string {
	out := replaceColumnRefs(e, func(c string) []string {
		if c == "value" {
			return []string{col}
		}
		return nil
	})
	if strings.HasPrefix(col, "<") {
		// A placeholder such as <column> stays as written, unquoted.
		out = strings.ReplaceAll(out, `"`+col+`"`, col)
	}
	return out
}

func alterDomainScan(p *Pass, ad *pg.AlterDomainStmt) {
	schema, name := splitName(ad.TypeName)
	qualified := qualify(schema, name)
	domain := DisplayName(qualified)
	var what string
	var check *pg.Node
	switch ad.Subtype {
	case "C":
		con := ad.Def.GetConstraint()
		if con == nil || con.SkipValidation || con.Contype != pg.ConstrType_CONSTR_CHECK {
			return // NOT VALID: no scan now; the VALIDATE is reported
		}
		what, check = fmt.Sprintf("adding a CHECK to domain %s", domain), con.RawExpr
		if con.Conname != "" {
			what = fmt.Sprintf("adding CHECK %s to domain %s", con.Conname, domain)
		}
	case "O":
		what = fmt.Sprintf("ALTER DOMAIN %s SET NOT NULL", domain)
	case "V":
		what = fmt.Sprintf("validating constraint %s of domain %s", ad.Name, domain)
	default:
		return
	}
	var tables []string
	var lk Lock
	for _, l := range p.Locks {
		if p.ExistingNamed(l.Relation) {
			tables = append(tables, l.Relation)
			if lk.Mode == NoLock {
				lk = l
			}
		}
	}
	_, known := p.Catalog.DomainOrigin(qualified)
	if known && len(tables) == 0 {
		return // no table in use has a column of the domain
	}
	on := "every table with a column of " + domain
	if len(tables) > 0 {
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = DisplayName(t)
		}
		on = strings.Join(names, ", ")
		if !known {
			on += " and any other table with a column of " + domain
		}
	} else {
		// Not a relation name: the tables are not known, the text says so.
		lk = Lock{Mode: Share, Relation: on}
	}
	p.Report(Finding{
		Message: fmt.Sprintf("%s scans %s under SHARE: writes wait for the whole scan, and a domain constraint has no online VALIDATE",
			what, on),
		Lock:   lk,
		Cost:   Scan,
		Breaks: BreaksAvailability,
		Fix:    domainFix(p, ad, schema, name, tables, check),
	})
}

// domainFix moves the check onto each column that uses the domain, as a
// table constraint added NOT VALID and validated online.
func domainFix(p *Pass, ad *pg.AlterDomainStmt, schema, name string, tables []string, check *pg.Node) string {
	type use struct{ table, col string }
	var uses []use
	for _, rel := range tables {
		if t := p.Catalog.TableNamed(rel); t != nil {
			for _, c := range t.Columns {
				if typeNamed(c.Type, schema, name) {
					uses = append(uses, use{DisplayName(rel), c.Name})
				}
			}
		}
	}
	if len(uses) == 0 || len(tables) == 0 {
		uses = []use{{"<table>", "<column>"}}
	}
	var b strings.Builder
	switch ad.Subtype {
	case "C":
		b.WriteString("-- instant: the domain constraint for new and updated values only\n")
		b.WriteString(p.Rewrite(func(n *pg.Node) { n.GetAlterDomainStmt().Def.GetConstraint().SkipValidation = true }))
		b.WriteString("\n-- ALTER DOMAIN ... VALIDATE CONSTRAINT would scan under SHARE again; check the existing rows with table constraints instead:\n")
	case "O":
		b.WriteString("-- instead, NOT NULL on each column of the domain, proved online:\n")
		check = nil
	case "V":
		b.WriteString("-- leave the domain constraint NOT VALID (it checks new and updated values) and check the existing rows with table constraints:\n")
	}
	var validate []string
	for _, u := range uses {
		cname := identSQL(strings.TrimPrefix(u.table, schema+".") + "_" + u.col + "_check")
		expr := identSQL(u.col) + " IS NOT NULL"
		if strings.HasPrefix(u.col, "<") {
			cname, expr = "<table>_<column>_check", u.col+" IS NOT NULL"
		}
		if check != nil {
			expr = valueAs(check, u.col)
		} else if ad.Subtype == "V" {
			expr = "<the domain constraint, with VALUE replaced by " + u.col + ">"
		}
		fmt.Fprintf(&b, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID;\n", u.table, cname, expr)
		validate = append(validate, fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", u.table, cname))
	}
	b.WriteString(laterFileNote + "-- scans under SHARE UPDATE EXCLUSIVE: reads and writes go on\n")
	b.WriteString(strings.Join(validate, "\n"))
	if ad.Subtype == "O" {
		b.WriteString("\n-- a validated CHECK (col IS NOT NULL) also lets ALTER TABLE ... SET NOT NULL skip its scan (PostgreSQL 12 and later)")
	}
	return b.String()
}
