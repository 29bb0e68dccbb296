package lint

import "fmt"

var rulePreferJSONB = &Rule{
	ID:       "prefer-jsonb",
	Severity: Warning,
	Summary:  "json: prefer jsonb",
	Doc: `json stores the text as written and re-parses it on every access; it has no equality
operator, so SELECT DISTINCT, GROUP BY, UNION (without ALL) and = on the column fail ("could not
identify an equality operator for type json"), which ORMs trigger more often than one expects. It
cannot be indexed with GIN. jsonb stores the parsed value, compares, indexes and is faster to query;
it drops duplicate keys, key order and insignificant white space, which is what applications want
almost always. Changing the type later rewrites the table under ACCESS EXCLUSIVE, so choose it up
front, for new columns and type changes alike.`,
	Check: func(p *Pass) {
		for _, c := range newColumns(p.Node(), "json") {
			if c.Type.Name != "json" {
				continue
			}
			p.ReportAt(c.Def.Location, Finding{
				Message: fmt.Sprintf("%s is json: it has no equality operator, so DISTINCT, GROUP BY, UNION and = on it fail, and it cannot be GIN-indexed; jsonb can", c.where()),
				Fix:     retypeFix(p, c, "jsonb", "", "", ""),
			})
		}
	},
}
