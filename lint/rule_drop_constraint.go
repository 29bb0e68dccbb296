package lint

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleDropConstraint = &Rule{
	ID:       "drop-constraint",
	Severity: Error,
	Summary:  "DROP CONSTRAINT removes a guarantee the running release relies on (a contract-phase change)",
	Doc: `Dropping a constraint is catalog-only, under ACCESS EXCLUSIVE, but it is a contract-phase
change: the old release, still running while the deploy rolls out, may rely on it. Dropping a
UNIQUE or PRIMARY KEY constraint (or an exclusion constraint) makes every INSERT ... ON CONFLICT
(cols) or ON CONFLICT ON CONSTRAINT of a release that uses it fail ("there is no unique or exclusion
constraint matching the ON CONFLICT specification") and lets in duplicates that code does not
expect; a primary key referenced by foreign keys cannot be dropped without CASCADE. Dropping a
FOREIGN KEY takes ACCESS EXCLUSIVE on both tables, the referencing one and the one it references,
so traffic on both waits for it (set a lock_timeout). Dropping a CHECK loosens what the old release
may assume about the rows it reads. Drop a constraint in the contract phase of the release after
the one that stopped relying on it. lockstep knows each constraint's kind from the replayed history
(or, for a table it never saw, guesses it from PostgreSQL's naming: _pkey, _key, _fkey, _check);
constraints added by the same file or by an unreleased one are not flagged.`,
	Check: func(p *Pass) {
		at, cmds := alterCmds(p)
		if at == nil {
			return
		}
		t := p.Catalog.Table(at.Relation)
		table := Name(at.Relation)
		contract := declaredPhase(p.File) == Contract
		readded := readdedConstraints(at, cmds)
		for _, cmd := range cmds {
			if cmd.Subtype != pg.AlterTableType_AT_DropConstraint || readded[cmd.Name] {
				continue // DROP CONSTRAINT c, ADD CONSTRAINT c replaces it: the ADD is what counts
			}
			ct := t.Constraint(cmd.Name)
			if ct != nil && !p.HasReaders(ct.Origin) {
				continue
			}
			kind, guessed := ConstraintKind(""), false
			var cols []string
			if ct != nil {
				kind, cols = ct.Kind, ct.Columns
			} else {
				kind, guessed = kindFromName(cmd.Name), true
			}
			what := cmd.Name
			if kind != "" {
				what = string(kind) + " " + cmd.Name
			}
			if len(cols) > 0 {
				what += " (" + strings.Join(cols, ", ") + ")"
			}
			if guessed && kind != "" {
				what += " (a " + string(kind) + " by its name)"
			}
			f := Finding{
				Lock:   p.LockOn(QualifiedName(at.Relation)),
				Breaks: BreaksOld,
				Fix: fmt.Sprintf(`-- release N: stop relying on it; release N+1, contract phase, once no release before N runs:
-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE %s DROP CONSTRAINT %s;`, table, cmd.Name),
			}
			cascade := cmd.Behavior == pg.DropBehavior_DROP_CASCADE
			switch kind {
			case Unique, PrimaryKey, Exclusion:
				conflict := "INSERT ... ON CONFLICT ON CONSTRAINT " + cmd.Name
				if len(cols) > 0 {
					conflict = fmt.Sprintf("INSERT ... ON CONFLICT (%s)", strings.Join(cols, ", "))
				}
				f.Message = fmt.Sprintf("dropping the %s on %s breaks the old release's %s, which fails without it, and lets in duplicates that code does not expect", what, table, conflict)
				if refs, _ := referencingConstraints(p.Catalog, QualifiedName(at.Relation)); kind == PrimaryKey && len(refs) > 0 {
					if cascade {
						f.Message += fmt.Sprintf("; CASCADE also drops the foreign keys of %s that reference it", list(refs))
					} else {
						f.Message += fmt.Sprintf("; it also fails while %s references it", list(refs))
					}
				}
				f.Fix = fmt.Sprintf("-- release N: ship code that no longer uses %s (nor relies on its uniqueness)\n", conflict) +
					strings.SplitN(f.Fix, "\n", 2)[1]
				if contract {
					f.Severity = Warning
					f.Message += contractNote
				}
			case ForeignKey:
				ref := "the table it references"
				if ct != nil && ct.References != "" {
					ref = DisplayName(ct.References)
				}
				f.Severity = Warning
				f.Breaks = BreaksAvailability
				f.Message = fmt.Sprintf("dropping the %s takes ACCESS EXCLUSIVE on %s and on %s, so reads and writes of both wait for it; the old release also loses the integrity (and ON DELETE actions) it relies on", what, table, ref)
			case Check:
				f.Severity = Warning
				f.Message = fmt.Sprintf("dropping the %s on %s lets in rows the old release, still running while the deploy runs, may not expect when it reads them", what, table)
				if contract {
					f.Severity = Hint
					f.Message += contractNote
				}
			default:
				f.Severity = Warning
				f.Message = fmt.Sprintf("dropping constraint %s on %s removes a guarantee the old release may rely on: a unique or primary key its INSERT ... ON CONFLICT needs, or a check or foreign key it assumes", cmd.Name, table)
				if contract {
					f.Severity = Hint
					f.Message += contractNote
				}
			}
			p.ReportAt(-1, f)
		}
	},
}

// kindFromName guesses a constraint's kind from PostgreSQL's default names.
func kindFromName(name string) ConstraintKind {
	switch {
	case strings.HasSuffix(name, "_pkey"):
		return PrimaryKey
	case strings.HasSuffix(name, "_fkey"):
		return ForeignKey
	case strings.HasSuffix(name, "_key"):
		return Unique
	case strings.HasSuffix(name, "_check"):
		return Check
	case strings.HasSuffix(name, "_excl"):
		return Exclusion
	}
	return ""
}

// readdedConstraints names the constraints an ALTER TABLE adds, so that a
// DROP CONSTRAINT c, ADD CONSTRAINT c in the same statement reads as a
// replacement.
func readdedConstraints(at *pg.AlterTableStmt, cmds []*pg.AlterTableCmd) map[string]bool {
	out := map[string]bool{}
	for _, cmd := range cmds {
		if con := cmd.Def.GetConstraint(); cmd.Subtype == pg.AlterTableType_AT_AddConstraint && con != nil {
			name := con.Conname
			if name == "" {
				name = defaultConstraintName(at.Relation.Relname, ConstraintColumns(con), constraintKind(con.Contype))
			}
			out[name] = true
		}
	}
	return out
}
