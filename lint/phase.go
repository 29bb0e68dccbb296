package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Phase is the step of an expand -> backfill -> contract change a statement
// or a migration file belongs to.
type Phase int

const (
	// PhaseNone is a statement that does not change what either release
	// sees (SET, BEGIN, VALIDATE CONSTRAINT, ANALYZE, GRANT, ...).
	PhaseNone Phase = iota
	// Expand adds: it keeps the old release working and prepares the new one.
	Expand
	// Backfill changes data in tables the running release uses.
	Backfill
	// Contract removes or tightens: it breaks the old release, so it runs
	// only once no old release is left.
	Contract
)

var phaseNames = [...]string{"", "expand", "backfill", "contract"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// ParsePhase reads "expand", "backfill" or "contract".
func ParsePhase(s string) (Phase, error) {
	for i, n := range phaseNames {
		if n == s && i > 0 {
			return Phase(i), nil
		}
	}
	return PhaseNone, fmt.Errorf("unknown phase %q (want expand, backfill or contract)", s)
}

func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// classify decides the phase of the statement a pass is about.
func classify(p *Pass) Phase {
	n := p.Node()
	if p.Stmt.nested != nil {
		// The statements a DO block runs are classified on their own.
		return PhaseNone
	}
	switch {
	case n.GetUpdateStmt() != nil:
		return dataPhase(p, n.GetUpdateStmt().Relation)
	case n.GetDeleteStmt() != nil:
		return dataPhase(p, n.GetDeleteStmt().Relation)
	case n.GetMergeStmt() != nil:
		return dataPhase(p, n.GetMergeStmt().Relation)
	case n.GetInsertStmt() != nil:
		ins := n.GetInsertStmt()
		if sel := ins.SelectStmt.GetSelectStmt(); sel != nil && len(sel.ValuesLists) == 0 {
			return dataPhase(p, ins.Relation)
		}
		return Expand
	case n.GetTruncateStmt() != nil:
		for _, r := range n.GetTruncateStmt().Relations {
			if p.Existing(r.GetRangeVar()) {
				return Contract
			}
		}
		return Expand
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		for _, obj := range ds.Objects {
			s, name := objectName(obj)
			if ds.RemoveType == pg.ObjectType_OBJECT_SCHEMA {
				return Contract
			}
			if p.ExistingNamed(qualify(s, name)) {
				return Contract
			}
		}
		// Dropping only what this release created: neither release sees it.
		return PhaseNone
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		if rs.Relation != nil && !p.Existing(rs.Relation) {
			return Expand
		}
		if rs.RenameType == pg.ObjectType_OBJECT_COLUMN {
			if col := p.Catalog.Table(rs.Relation).Column(rs.Subname); col != nil && !p.HasReaders(col.Origin) {
				return Expand
			}
		}
		return Contract
	case n.GetAlterEnumStmt() != nil:
		if n.GetAlterEnumStmt().OldVal != "" {
			return Contract
		}
		return Expand
	case n.GetAlterTableStmt() != nil:
		return alterTablePhase(p, n.GetAlterTableStmt())
	case n.GetCreateStmt() != nil, n.GetIndexStmt() != nil, n.GetViewStmt() != nil, n.GetCreateFunctionStmt() != nil,
		n.GetCreateTrigStmt() != nil, n.GetCreateEnumStmt() != nil, n.GetCreateSeqStmt() != nil,
		n.GetCreateSchemaStmt() != nil, n.GetCreateExtensionStmt() != nil, n.GetCreateTableAsStmt() != nil,
		n.GetCompositeTypeStmt() != nil, n.GetCreateDomainStmt() != nil:
		return Expand
	}
	return PhaseNone
}

func dataPhase(p *Pass, rv *pg.RangeVar) Phase {
	if p.Existing(rv) {
		return Backfill
	}
	return Expand
}

func alterTablePhase(p *Pass, at *pg.AlterTableStmt) Phase {
	if !p.Existing(at.Relation) {
		return Expand
	}
	t := p.Catalog.Table(at.Relation)
	colFresh := func(name string) bool {
		c := t.Column(name)
		return c != nil && !p.HasReaders(c.Origin)
	}
	ph := PhaseNone
	raise := func(x Phase) {
		if x > ph {
			ph = x
		}
	}
	for _, c := range at.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn, pg.AlterTableType_AT_DropNotNull, pg.AlterTableType_AT_AddIndex,
			pg.AlterTableType_AT_AddIdentity, pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_EnableAlwaysTrig:
			raise(Expand)
		case pg.AlterTableType_AT_ColumnDefault:
			// DROP DEFAULT (or SET DEFAULT NULL) on a NOT NULL column fails the
			// old release's inserts, which omit the column, even when the
			// column is new: contract.
			// Unless the same transaction sets a new one (drop-default-on-not-null).
			if nonNull(cmd.Def) == nil {
				if col := t.Column(cmd.Name); col != nil && col.NotNull && !col.Identity && !col.Generated &&
					!defaultRestoredInTx(p, at, cmd) {
					raise(Contract)
					continue
				}
			}
			raise(Expand)
		case pg.AlterTableType_AT_DropColumn, pg.AlterTableType_AT_DropConstraint, pg.AlterTableType_AT_DetachPartition,
			pg.AlterTableType_AT_DropIdentity, pg.AlterTableType_AT_DropInherit, pg.AlterTableType_AT_DisableTrig:
			// Dropping what this release added: neither release relies on it.
			if cmd.Subtype == pg.AlterTableType_AT_DropColumn && colFresh(cmd.Name) {
				continue
			}
			if cmd.Subtype == pg.AlterTableType_AT_DropConstraint {
				if ct := t.Constraint(cmd.Name); ct != nil && !p.HasReaders(ct.Origin) {
					continue
				}
				if readdsConstraint(at, cmd.Name) {
					continue // replaced in the same statement: the ADD decides
				}
			}
			raise(Contract)
		case pg.AlterTableType_AT_SetNotNull:
			if colFresh(cmd.Name) && t.Column(cmd.Name).Default != nil {
				raise(Expand)
				continue
			}
			raise(Contract)
		case pg.AlterTableType_AT_AlterColumnType:
			col := t.Column(cmd.Name)
			cd := cmd.Def.GetColumnDef()
			if col != nil && cd != nil && cd.RawDefault == nil && Convert(col.Type, TypeOf(cd.TypeName), p.PGVersion()) == ConvSafe {
				raise(Expand)
				continue
			}
			if colFresh(cmd.Name) {
				raise(Expand)
				continue
			}
			raise(Contract)
		case pg.AlterTableType_AT_AddConstraint:
			con := cmd.Def.GetConstraint()
			if con != nil && con.SkipValidation {
				raise(Expand)
				continue
			}
			raise(Contract)
		case pg.AlterTableType_AT_ValidateConstraint, pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_SetRelOptions,
			pg.AlterTableType_AT_ResetRelOptions, pg.AlterTableType_AT_SetOptions, pg.AlterTableType_AT_ResetOptions,
			pg.AlterTableType_AT_ChangeOwner, pg.AlterTableType_AT_ClusterOn, pg.AlterTableType_AT_ReplicaIdentity:
		case pg.AlterTableType_AT_AttachPartition:
			raise(Expand)
		default:
			raise(Expand)
		}
	}
	return ph
}

// filePhase combines statement phases: the single non-neutral phase, or
// mixed when there are several.
func filePhase(phases []Phase) (ph Phase, mixed bool) {
	for _, x := range phases {
		if x == PhaseNone {
			continue
		}
		if ph != PhaseNone && x != ph {
			mixed = true
		}
		if x > ph {
			ph = x
		}
	}
	return ph, mixed
}

// readdsConstraint reports whether an ALTER TABLE adds a constraint of that
// name (DROP CONSTRAINT IF EXISTS c, ADD CONSTRAINT c).
func readdsConstraint(at *pg.AlterTableStmt, name string) bool {
	for _, c := range at.Cmds {
		cmd := c.GetAlterTableCmd()
		if con := cmd.GetDef().GetConstraint(); cmd != nil && cmd.Subtype == pg.AlterTableType_AT_AddConstraint && con != nil {
			n := con.Conname
			if n == "" {
				n = defaultConstraintName(at.Relation.Relname, ConstraintColumns(con), constraintKind(con.Contype))
			}
			if n == name {
				return true
			}
		}
	}
	return false
}
