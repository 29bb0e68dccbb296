package lint

import "fmt"

var rulePreferTextOverVarchar = &Rule{
	ID:       "prefer-text-over-varchar",
	Severity: Hint,
	Summary:  "varchar(n): prefer text with a CHECK on its length",
	Doc: `In PostgreSQL text and varchar(n) are stored and compared the same way: the limit is the only
difference, and it is a poor place for one. Raising it later is catalog-only but still takes ACCESS
EXCLUSIVE on the table; lowering it rewrites the table and its indexes. A CHECK (char_length(col)
<= n) gives the same guarantee and can be replaced without blocking traffic: add the new CHECK NOT
VALID, VALIDATE it (SHARE UPDATE EXCLUSIVE), drop the old one. On an existing table, add the CHECK
NOT VALID in its own statement: a CHECK inside ADD COLUMN makes PostgreSQL scan the table under
ACCESS EXCLUSIVE. varchar without a length is text and is not flagged.`,
	Check: func(p *Pass) {
		for _, c := range newColumns(p.Node(), "varchar") {
			if c.Type.Name != "varchar" || len(c.Type.Mods) == 0 {
				continue
			}
			n := c.Type.Mods[0]
			check := fmt.Sprintf("CHECK (char_length(%s) <= %d)", c.Name(), n)
			appended, extra := "", ""
			if c.Create {
				appended = " " + check
			} else {
				extra = fmt.Sprintf("\nALTER TABLE %s ADD CONSTRAINT %s_%s_length %s NOT VALID;", Name(c.Table), c.Table.Relname, c.Name(), check)
			}
			p.ReportAt(c.Def.Location, Finding{
				Message: fmt.Sprintf("%s is %s: text with %s stores the same, and its limit can later change without locking %s", c.where(), c.Type, check, Name(c.Table)),
				Fix:     retypeFix(p, c, "text", "", appended, extra),
			})
		}
	},
}
