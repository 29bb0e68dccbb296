package lint

import (
	"fmt"
	"strings"
)

var ruleAlterEnumRenameValue = &Rule{
	ID:       "alter-enum-rename-value",
	Severity: Error,
	Summary:  "ALTER TYPE ... RENAME VALUE breaks the release that still writes or compares the old value",
	Doc: `Renaming an enum value is instant, but every row holding it changes meaning at once: the old
release, still running while the deploy rolls out, writes the old label (its inserts and updates
fail with "invalid input value for enum") and compares with it (its WHERE clauses silently match
nothing), while a release that uses the new label fails until the rename has run. No code can work
with both. Add the new value instead, make a release read both and write the new one, backfill the
rows in a later file (a new value cannot be used in the transaction that adds it), and leave the old
value unused: PostgreSQL cannot drop an enum value without recreating the type. A value added by
the same file or by an unreleased one has no readers and may be renamed freely.`,
	Check: func(p *Pass) {
		ae := p.Node().GetAlterEnumStmt()
		if ae == nil || ae.OldVal == "" {
			return
		}
		schema, name := splitName(ae.TypeName)
		en := p.Catalog.Enum(schema, name)
		if en != nil && !p.HasReaders(en.ValueOrigin(ae.OldVal)) {
			return
		}
		enum := DisplayName(qualify(schema, name))
		var backfill strings.Builder
		for _, t := range p.Catalog.Tables() {
			for _, c := range t.Columns {
				if qualify("", c.Type.Name) == qualify(schema, name) || c.Type.Name == qualify(schema, name) {
					fmt.Fprintf(&backfill, "UPDATE %s SET %s = '%s' WHERE %s = '%s';\n", DisplayName(t.Qualified()), c.Name, ae.NewVal, c.Name, ae.OldVal)
				}
			}
		}
		if backfill.Len() == 0 {
			fmt.Fprintf(&backfill, "UPDATE <table> SET <column> = '%s' WHERE <column> = '%s';  -- each column of type %s\n", ae.NewVal, ae.OldVal, enum)
		}
		p.Report(Finding{
			Message: fmt.Sprintf("renaming value '%s' of enum %s to '%s' breaks the old release, which still writes and compares '%s' (its writes fail, its filters match nothing), and no code can work with both labels",
				ae.OldVal, enum, ae.NewVal, ae.OldVal),
			Breaks: BreaksBoth,
			Fix: fmt.Sprintf(`-- expand (this release): add the new label; the release reads both and writes '%[3]s'
ALTER TYPE %[1]s ADD VALUE IF NOT EXISTS '%[3]s' AFTER '%[2]s';
-- backfill, in a later file (a new value is unusable in the transaction that adds it), in batches:
%[4]s-- leave '%[2]s' unused: an enum value cannot be dropped without recreating the type`, enum, ae.OldVal, ae.NewVal, backfill.String()),
		})
	},
}
