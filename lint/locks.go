package lint

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// statementLocks returns the table-level locks a statement takes, strongest
// per relation, in the order the relations appear. Relations are qualified
// names. The catalog resolves an index to its table.
func statementLocks(n *pg.Node, cat *Catalog, pgVersion int) []Lock {
	var ls lockSet
	switch {
	case n.GetAlterTableStmt() != nil:
		at := n.GetAlterTableStmt()
		rel := QualifiedName(at.Relation)
		switch at.Objtype {
		case pg.ObjectType_OBJECT_INDEX:
			if len(at.Cmds) == 1 && at.Cmds[0].GetAlterTableCmd().GetSubtype() == pg.AlterTableType_AT_AttachPartition {
				// ALTER INDEX parent ATTACH PARTITION child: SHARE UPDATE
				// EXCLUSIVE on the parent index, ACCESS EXCLUSIVE on the
				// child index, ACCESS SHARE on both tables.
				ls.add(rel, ShareUpdateExclusive)
				if pc := at.Cmds[0].GetAlterTableCmd().Def.GetPartitionCmd(); pc != nil && pc.Name != nil {
					ls.add(QualifiedName(pc.Name), AccessExclusive)
				}
				return ls.locks
			}
			if ix := cat.indexes[rel]; ix != nil {
				ls.add(ix.Table, ShareUpdateExclusive)
			}
			ls.add(rel, AccessExclusive)
			return ls.locks
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_FOREIGN_TABLE, pg.ObjectType_OBJECT_MATVIEW:
		default:
			ls.add(rel, AccessExclusive)
			return ls.locks
		}
		for _, c := range at.Cmds {
			cmd := c.GetAlterTableCmd()
			if cmd == nil {
				continue
			}
			mode := alterCmdLock(cmd, pgVersion)
			ls.add(rel, mode)
			if con := cmd.Def.GetConstraint(); con != nil && cmd.Subtype == pg.AlterTableType_AT_AddConstraint &&
				con.Contype == pg.ConstrType_CONSTR_FOREIGN && con.Pktable != nil {
				ls.add(QualifiedName(con.Pktable), ShareRowExclusive)
			}
			if cd := cmd.Def.GetColumnDef(); cd != nil {
				for _, cn := range cd.Constraints {
					if con := cn.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN && con.Pktable != nil {
						ls.add(QualifiedName(con.Pktable), ShareRowExclusive)
					}
				}
			}
			if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Name != nil {
				// DETACH ... CONCURRENTLY takes ACCESS EXCLUSIVE on the
				// partition too, in its second transaction, once every
				// transaction using the parent has ended.
				part := QualifiedName(pc.Name)
				ls.add(part, AccessExclusive)
				// ATTACH and DETACH lock the DEFAULT partition as well, whose
				// implicit constraint changes (ATTACH scans it).
				concurrent := pc.Concurrent || cmd.Subtype == pg.AlterTableType_AT_DetachPartitionFinalize
				if def := defaultPartition(cat, rel); def != "" && def != part && !concurrent {
					ls.add(def, AccessExclusive)
				}
			}
			if cmd.Subtype == pg.AlterTableType_AT_ValidateConstraint {
				if t := cat.tables[rel]; t != nil {
					if ct := t.Constraint(cmd.Name); ct != nil && ct.Kind == ForeignKey && ct.References != "" {
						ls.add(ct.References, RowShare)
					}
				}
			}
		}
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		if cs.Partbound != nil && len(cs.InhRelations) > 0 {
			if rv := cs.InhRelations[0].GetRangeVar(); rv != nil {
				ls.add(QualifiedName(rv), AccessExclusive)
				if def := defaultPartition(cat, QualifiedName(rv)); def != "" && !cs.Partbound.IsDefault {
					ls.add(def, AccessExclusive)
				}
			}
		}
		for _, e := range cs.TableElts {
			var cons []*pg.Node
			if cd := e.GetColumnDef(); cd != nil {
				cons = cd.Constraints
			} else {
				cons = []*pg.Node{e}
			}
			for _, cn := range cons {
				if con := cn.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN && con.Pktable != nil {
					ls.add(QualifiedName(con.Pktable), ShareRowExclusive)
				}
			}
		}
	case n.GetIndexStmt() != nil:
		is := n.GetIndexStmt()
		if is.Concurrent {
			ls.add(QualifiedName(is.Relation), ShareUpdateExclusive)
		} else {
			ls.add(QualifiedName(is.Relation), Share)
			// On a partitioned table (without ONLY) the build recurses into
			// every partition, each under SHARE.
			if t := cat.tables[QualifiedName(is.Relation)]; t != nil && t.Partitioned && is.Relation.Inh {
				for _, part := range cat.allPartitions(t.Qualified()) {
					ls.add(part, Share)
				}
			}
		}
	case n.GetDropStmt() != nil:
		ds := n.GetDropStmt()
		for _, obj := range ds.Objects {
			schema, name := objectName(obj)
			key := qualify(schema, name)
			switch ds.RemoveType {
			case pg.ObjectType_OBJECT_INDEX:
				table := key
				if ix := cat.indexes[key]; ix != nil {
					table = ix.Table
				}
				if ds.Concurrent {
					ls.add(table, ShareUpdateExclusive)
				} else {
					ls.add(table, AccessExclusive)
				}
			case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW,
				pg.ObjectType_OBJECT_FOREIGN_TABLE:
				ls.add(key, AccessExclusive)
				if t := cat.tables[key]; t != nil {
					for _, ct := range t.Constraints {
						if ct.Kind == ForeignKey && ct.References != "" {
							ls.add(ct.References, AccessExclusive)
						}
					}
				}
			case pg.ObjectType_OBJECT_TRIGGER, pg.ObjectType_OBJECT_RULE, pg.ObjectType_OBJECT_POLICY:
				if l := obj.GetList(); l != nil && len(l.Items) >= 2 {
					s, t := splitName(l.Items[:len(l.Items)-1])
					ls.add(qualify(s, t), AccessExclusive)
				}
			}
		}
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		if rs.Relation != nil {
			mode := AccessExclusive
			if rs.RenameType == pg.ObjectType_OBJECT_INDEX && pgVersion >= 12 {
				mode = ShareUpdateExclusive
			}
			ls.add(QualifiedName(rs.Relation), mode)
		}
	case n.GetTruncateStmt() != nil:
		ts := n.GetTruncateStmt()
		for _, r := range ts.Relations {
			ls.add(QualifiedName(r.GetRangeVar()), AccessExclusive)
		}
		if ts.Behavior == pg.DropBehavior_DROP_CASCADE {
			for _, r := range ts.Relations {
				for _, dep := range cat.referencingTables(QualifiedName(r.GetRangeVar())) {
					ls.add(dep, AccessExclusive)
				}
			}
		}
	case n.GetAlterDomainStmt() != nil:
		// Adding a validated CHECK or NOT NULL to a domain, or validating
		// one, scans every table with a column of the domain under SHARE.
		// Subtype O is SET NOT NULL (N is DROP NOT NULL: no scan).
		ad := n.GetAlterDomainStmt()
		validates := ad.Subtype == "O" || ad.Subtype == "V" ||
			ad.Subtype == "C" && ad.Def.GetConstraint() != nil && !ad.Def.GetConstraint().SkipValidation
		if validates {
			schema, name := splitName(ad.TypeName)
			for _, t := range cat.tablesUsingType(schema, name) {
				ls.add(t, Share)
			}
		}
	case n.GetVacuumStmt() != nil:
		vs := n.GetVacuumStmt()
		mode := ShareUpdateExclusive
		if hasOption(vs.Options, "full") {
			mode = AccessExclusive
		}
		for _, r := range vs.Rels {
			if vr := r.GetVacuumRelation(); vr != nil {
				ls.add(QualifiedName(vr.Relation), mode)
			}
		}
	case n.GetClusterStmt() != nil:
		if cs := n.GetClusterStmt(); cs.Relation != nil {
			ls.add(QualifiedName(cs.Relation), AccessExclusive)
		}
	case n.GetReindexStmt() != nil:
		rs := n.GetReindexStmt()
		if rs.Relation == nil {
			break
		}
		conc := hasOption(rs.Params, "concurrently")
		switch rs.Kind {
		case pg.ReindexObjectType_REINDEX_OBJECT_INDEX:
			key := QualifiedName(rs.Relation)
			if conc {
				if ix := cat.indexes[key]; ix != nil {
					key = ix.Table
				}
				ls.add(key, ShareUpdateExclusive)
			} else {
				if ix := cat.indexes[key]; ix != nil {
					ls.add(ix.Table, Share)
				}
				ls.add(key, AccessExclusive)
			}
		default:
			if conc {
				ls.add(QualifiedName(rs.Relation), ShareUpdateExclusive)
			} else {
				ls.add(QualifiedName(rs.Relation), Share)
			}
		}
	case n.GetLockStmt() != nil:
		lsmt := n.GetLockStmt()
		mode := lockStmtMode(lsmt.Mode)
		for _, r := range lsmt.Relations {
			ls.add(QualifiedName(r.GetRangeVar()), mode)
		}
	case n.GetRefreshMatViewStmt() != nil:
		rm := n.GetRefreshMatViewStmt()
		if rm.Concurrent {
			ls.add(QualifiedName(rm.Relation), Exclusive)
		} else {
			ls.add(QualifiedName(rm.Relation), AccessExclusive)
		}
	case n.GetCreateTrigStmt() != nil:
		ls.add(QualifiedName(n.GetCreateTrigStmt().Relation), ShareRowExclusive)
	case n.GetRuleStmt() != nil:
		ls.add(QualifiedName(n.GetRuleStmt().Relation), AccessExclusive)
	case n.GetCreatePolicyStmt() != nil:
		ls.add(QualifiedName(n.GetCreatePolicyStmt().Table), AccessExclusive)
	case n.GetUpdateStmt() != nil:
		ls.add(QualifiedName(n.GetUpdateStmt().Relation), RowExclusive)
	case n.GetDeleteStmt() != nil:
		ls.add(QualifiedName(n.GetDeleteStmt().Relation), RowExclusive)
	case n.GetInsertStmt() != nil:
		ls.add(QualifiedName(n.GetInsertStmt().Relation), RowExclusive)
	case n.GetMergeStmt() != nil:
		ls.add(QualifiedName(n.GetMergeStmt().Relation), RowExclusive)
	case n.GetCommentStmt() != nil:
		cs := n.GetCommentStmt()
		if cs.Objtype == pg.ObjectType_OBJECT_TABLE || cs.Objtype == pg.ObjectType_OBJECT_COLUMN {
			if l := cs.Object.GetList(); l != nil {
				items := l.Items
				if cs.Objtype == pg.ObjectType_OBJECT_COLUMN && len(items) > 1 {
					items = items[:len(items)-1]
				}
				s, t := splitName(items)
				ls.add(qualify(s, t), ShareUpdateExclusive)
			}
		}
	}
	return ls.locks
}

// defaultPartition returns the DEFAULT partition of a partitioned table the
// catalog knows, or "".
func defaultPartition(cat *Catalog, parent string) string {
	for _, t := range cat.Partitions(parent) {
		if t.DefaultPartition {
			return t.Qualified()
		}
	}
	return ""
}

// allPartitions lists the partitions of a table, and theirs, recursively.
func (c *Catalog) allPartitions(parent string) []string {
	var out []string
	for _, t := range c.Partitions(parent) {
		out = append(out, t.Qualified())
		if t.Partitioned {
			out = append(out, c.allPartitions(t.Qualified())...)
		}
	}
	return out
}

// referencingTables lists the tables whose foreign keys reference a table,
// recursively (what TRUNCATE ... CASCADE empties too), sorted.
func (c *Catalog) referencingTables(qualified string) []string {
	seen := map[string]bool{qualified: true}
	var out []string
	queue := []string{qualified}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, t := range c.Tables() {
			if seen[t.Qualified()] {
				continue
			}
			for _, ct := range t.Constraints {
				if ct.Kind == ForeignKey && ct.References == cur {
					seen[t.Qualified()] = true
					out = append(out, t.Qualified())
					queue = append(queue, t.Qualified())
					break
				}
			}
		}
	}
	return out
}

// tablesUsingType lists the tables with a column of a (domain or other
// user-defined) type, sorted.
func (c *Catalog) tablesUsingType(schema, name string) []string {
	var out []string
	for _, t := range c.Tables() {
		for _, col := range t.Columns {
			if typeNamed(col.Type, schema, name) {
				out = append(out, t.Qualified())
				break
			}
		}
	}
	return out
}

// typeNamed reports whether a column type is the named user type: "d" and
// "public.d" both name public.d.
func typeNamed(t Type, schema, name string) bool {
	s, n, ok := strings.Cut(t.Name, ".")
	if !ok {
		s, n = "public", t.Name
	}
	return n == name && s == schema
}

type lockSet struct{ locks []Lock }

func (s *lockSet) add(rel string, m LockMode) {
	if rel == "" || rel == "public." {
		return
	}
	for i := range s.locks {
		if s.locks[i].Relation == rel {
			if m > s.locks[i].Mode {
				s.locks[i].Mode = m
			}
			return
		}
	}
	s.locks = append(s.locks, Lock{Mode: m, Relation: rel})
}

// alterCmdLock is the lock one ALTER TABLE subcommand takes on its table.
func alterCmdLock(cmd *pg.AlterTableCmd, pgVersion int) LockMode {
	switch cmd.Subtype {
	case pg.AlterTableType_AT_SetStatistics, pg.AlterTableType_AT_SetOptions, pg.AlterTableType_AT_ResetOptions,
		pg.AlterTableType_AT_ValidateConstraint, pg.AlterTableType_AT_ClusterOn, pg.AlterTableType_AT_DropCluster,
		pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions:
		return ShareUpdateExclusive
	case pg.AlterTableType_AT_AttachPartition:
		if pgVersion >= 12 {
			return ShareUpdateExclusive
		}
	case pg.AlterTableType_AT_DetachPartition:
		if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Concurrent {
			return ShareUpdateExclusive
		}
	case pg.AlterTableType_AT_DetachPartitionFinalize:
		return ShareUpdateExclusive
	case pg.AlterTableType_AT_AddConstraint:
		if con := cmd.Def.GetConstraint(); con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN {
			return ShareRowExclusive
		}
	case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_EnableAlwaysTrig, pg.AlterTableType_AT_EnableReplicaTrig,
		pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_EnableTrigAll, pg.AlterTableType_AT_DisableTrigAll,
		pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrigUser:
		return ShareRowExclusive
	}
	return AccessExclusive
}

// lockStmtMode converts LOCK TABLE's mode number (1..8, lockdefs.h).
func lockStmtMode(m int32) LockMode {
	if m >= 1 && m <= 8 {
		return LockMode(m)
	}
	return AccessExclusive
}

// lockString renders a list of locks for messages.
func lockString(ls []Lock) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.Mode.String()+" on "+DisplayName(l.Relation))
	}
	return strings.Join(parts, ", ")
}
