package lint

import "fmt"

var rulePreferTimestamptz = &Rule{
	ID:       "prefer-timestamptz",
	Severity: Warning,
	Summary:  "timestamp without time zone: prefer timestamptz",
	Doc: `timestamp (without time zone) stores a wall-clock reading and throws the offset away: the same
instant written by two servers, or by a client in another zone, is stored as two different values,
and comparisons with now() (a timestamptz) depend on the session's TimeZone setting. timestamptz
stores the instant (as UTC) and converts on the way out; it takes the same eight bytes. Changing the
type later rewrites the table under ACCESS EXCLUSIVE unless the session TimeZone is UTC (PostgreSQL
12 and later), so choose it up front, for new columns and type changes alike.`,
	Check: func(p *Pass) {
		for _, c := range newColumns(p.Node(), "timestamp") {
			if c.Type.Name != "timestamp" {
				continue
			}
			p.ReportAt(c.Def.Location, Finding{
				Message: fmt.Sprintf("%s is timestamp without time zone: it drops the offset, so the same instant written from two time zones is stored as two values; timestamptz stores the instant in the same eight bytes", c.where()),
				Fix:     retypeFix(p, c, timestamptz(c.Type), "", "", ""),
			})
		}
	},
}

// timestamptz is the timestamptz type with the precision of t.
func timestamptz(t Type) string {
	if len(t.Mods) == 1 && t.Mods[0] >= 0 {
		return fmt.Sprintf("timestamptz(%d)", t.Mods[0])
	}
	return "timestamptz"
}
