package lint

import "fmt"

var ruleBanChar = &Rule{
	ID:       "ban-char",
	Severity: Warning,
	Summary:  "char(n) pads values with spaces: use text (or varchar) instead",
	Doc: `char(n) (character(n), bpchar) pads every value with spaces to n characters and then ignores
trailing spaces in comparisons but not everywhere else: 'a' = 'a  ' is true, yet LIKE, length(),
concatenation and clients see the padding, and a value cast to text loses it. It is no faster than
text (PostgreSQL stores both the same way), and a plain char means char(1). Use text, with a CHECK
on the length if the length matters. The internal one-byte type "char" (quoted) is a different
type and is not flagged.`,
	Check: func(p *Pass) {
		for _, c := range newColumns(p.Node(), "bpchar") {
			if c.Type.Name != "bpchar" {
				continue
			}
			n := 1
			if len(c.Type.Mods) > 0 {
				n = c.Type.Mods[0]
			}
			appended, extra := "", ""
			if c.Create {
				appended = fmt.Sprintf(" CHECK (char_length(%s) <= %d)", c.Name(), n)
			} else if !c.Change {
				extra = fmt.Sprintf("\nALTER TABLE %s ADD CONSTRAINT %s_%s_length CHECK (char_length(%s) <= %d) NOT VALID;", Name(c.Table), c.Table.Relname, c.Name(), c.Name(), n)
			}
			p.ReportAt(c.Def.Location, Finding{
				Message: fmt.Sprintf("%s is %s: it pads values with spaces, which comparisons ignore but LIKE, length() and clients see; text stores the same without padding", c.where(), c.Type),
				Fix:     retypeFix(p, c, "text", "", appended, extra),
			})
		}
	},
}
