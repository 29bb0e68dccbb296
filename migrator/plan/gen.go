package plan

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

// gen is the state of generating one plan.
type gen struct {
	h   *History
	req Request
	cfg Config
	p   *Plan
}

func (g *gen) file(phase lint.Phase, release int, slug, summary string, stmts ...string) {
	g.p.parsed = append(g.p.parsed, parsedFile{phase: phase, release: release, slug: slug, summary: summary,
		body: strings.Join(stmts, "\n\n") + "\n"})
}

func (g *gen) code(release int, steps ...string) {
	for i := range g.p.Code {
		if g.p.Code[i].Release == release {
			g.p.Code[i].Steps = append(g.p.Code[i].Steps, steps...)
			return
		}
	}
	g.p.Code = append(g.p.Code, ReleaseSteps{Release: release, Steps: steps})
}

func (g *gen) before(s ...string) { g.p.Before = append(g.p.Before, s...) }

func (g *gen) note(s ...string) { g.p.Notes = append(g.p.Notes, s...) }

func (g *gen) rel(n int) string { return g.p.ReleaseName(n) }

// locked wraps statements that take a lock blocking traffic in a short
// lock_timeout, in one transaction: golang-migrate runs a file of several
// statements as one implicit transaction, so SET LOCAL is enough; the other
// runners send statements one by one, so the file says BEGIN and COMMIT
// itself (a rename and the view or trigger that keeps both names working
// must commit together).
func (g *gen) locked(stmts ...string) []string {
	set := "SET LOCAL lock_timeout = " + literal(timeoutValue(g.cfg.LockTimeout)) + ";"
	if g.cfg.Runner == lint.RunnerGolangMigrate {
		return append([]string{set}, stmts...)
	}
	out := append([]string{"BEGIN;", set}, stmts...)
	return append(out, "COMMIT;")
}

// table looks a table up; known requires the history to define it.
func (g *gen) table(ref tableRef, known bool) (*lint.Table, error) {
	t := g.h.Catalog.TableNamed(ref.qualified())
	if t != nil && t.Known {
		return t, nil
	}
	if known {
		return nil, fault.Errorf(fault.Usage, "%s: no migration in %s creates this table, and %s needs its columns (type, NOT NULL, default, primary key)",
			ref.display(), g.h.Dir, g.req.Kind)
	}
	return nil, nil
}

func (g *gen) column(t *lint.Table, ref tableRef, col string) (*lint.Column, error) {
	c := t.Column(col)
	if c == nil {
		return nil, fault.Errorf(fault.Usage, "%s has no column %s (columns: %s)", ref.display(), col, columnNames(t))
	}
	return c, nil
}

func columnNames(t *lint.Table) string {
	var out []string
	for _, c := range t.Columns {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}

// primaryKey returns the columns of a table's primary key.
func primaryKey(t *lint.Table) *lint.Constraint {
	if t == nil {
		return nil
	}
	for _, ct := range t.Constraints {
		if ct.Kind == lint.PrimaryKey {
			return ct
		}
	}
	return nil
}

// batchKey is the column the backfill is cut on: --key, else the table's
// single-column primary key.
func (g *gen) batchKey(t *lint.Table, ref tableRef) (string, error) {
	if g.req.Key != "" {
		k, err := parseName(g.req.Key, "key column")
		if err != nil {
			return "", err
		}
		if t != nil && t.Column(k) == nil {
			return "", fault.Errorf(fault.Usage, "--key %s: %s has no such column", k, ref.display())
		}
		return k, nil
	}
	if pk := primaryKey(t); pk != nil && len(pk.Columns) == 1 {
		return pk.Columns[0], nil
	}
	why := "has no single-column primary key"
	if t == nil {
		why = "is not created by the migrations, so its primary key is unknown"
	}
	return "", fault.Errorf(fault.Usage, "%s %s: the batched backfill needs a key; name a unique, NOT NULL column with --key", ref.display(), why)
}

func (g *gen) batchHeader(key string) string {
	return fmt.Sprintf("-- lockstep:batch key=%s size=%d", ident(key), g.req.BatchSize)
}

// slugPart makes a name safe for a file name.
func slugPart(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_")
}

func slug(parts ...string) string {
	var out []string
	for _, p := range parts {
		if s := slugPart(p); s != "" {
			out = append(out, s)
		}
	}
	s := strings.Join(out, "_")
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.Trim(s, "_")
}

// referencedBy lists the foreign keys of other tables (or this one) that
// reference col of table.
func (g *gen) referencedBy(t *lint.Table, col string) []string {
	var out []string
	pk := primaryKey(t)
	for _, other := range g.h.Catalog.Tables() {
		for _, ct := range other.Constraints {
			if ct.Kind != lint.ForeignKey || ct.References != t.Qualified() {
				continue
			}
			def := g.h.defs.constraint(other.Qualified(), ct)
			var cols []string
			if def != nil {
				for _, a := range def.PkAttrs {
					cols = append(cols, a.GetString_().GetSval())
				}
			}
			if len(cols) == 0 && pk != nil {
				cols = pk.Columns
			}
			for _, c := range cols {
				if c == col {
					out = append(out, ct.Name+" on "+lint.DisplayName(other.Qualified()))
				}
			}
		}
	}
	return out
}

// cicNote heads a CREATE INDEX CONCURRENTLY file.
const cicNote = "-- A failed build leaves an INVALID index, which IF NOT EXISTS would then skip: lockstep migrate\n" +
	"-- drops and rebuilds it, with golang-migrate alone DROP INDEX CONCURRENTLY it before re-running.\n"

// ---------------------------------------------------------------- rename-column, change-column-type

// move is a column replaced by a new one: renamed, or of a new type.
type move struct {
	ref      tableRef
	t        *lint.Table
	old, new string
	col      *lint.Column
	newType  string
	oldType  string
	convert  bool // types differ: cast on every copy
	slug     string
	fn       string // trigger and function name
	renaming bool
}

func genRenameColumn(g *gen) error {
	ref, old, err := parseColumnArg(g.req.Args[0])
	if err != nil {
		return err
	}
	newName, err := parseNewColumn(ref, g.req.Args[1])
	if err != nil {
		return err
	}
	t, err := g.table(ref, true)
	if err != nil {
		return err
	}
	col, err := g.column(t, ref, old)
	if err != nil {
		return err
	}
	if old == newName {
		return fault.Errorf(fault.Usage, "%s.%s is already called %s", ref.display(), old, newName)
	}
	m := &move{ref: ref, t: t, old: old, new: newName, col: col, newType: col.Type.String(), oldType: col.Type.String(),
		slug: slug("rename", ref.name, old, "to", newName), renaming: true}
	if col.Type.Serial {
		m.newType = lint.Type{Name: col.Type.Name, Mods: col.Type.Mods, Array: col.Type.Array}.String()
	}
	return g.moveColumn(m)
}

func genChangeType(g *gen) error {
	ref, name, err := parseColumnArg(g.req.Args[0])
	if err != nil {
		return err
	}
	tn, err := parseType(g.req.Args[1])
	if err != nil {
		return err
	}
	t, err := g.table(ref, true)
	if err != nil {
		return err
	}
	col, err := g.column(t, ref, name)
	if err != nil {
		return err
	}
	to := lint.TypeOf(tn)
	toSQL := typeSQL(tn)
	from := col.Type
	from.Serial = false
	if from.Equal(to) {
		return fault.Errorf(fault.Usage, "%s.%s is already %s", ref.display(), name, from)
	}
	if lint.Convert(col.Type, to, lint.MaxPGVersion) == lint.ConvSafe && !col.Type.Serial {
		// A binary-coercible widening: catalog-only, both releases keep working.
		g.file(lint.Expand, 0, slug("change", ref.name, name, "type"),
			fmt.Sprintf("change %s.%s from %s to %s, a widening that rewrites nothing", ref.display(), name, col.Type, toSQL),
			g.locked(fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s;", ref.sql(), ident(name), toSQL))...)
		g.note(fmt.Sprintf("%s to %s is binary-coercible: PostgreSQL changes only the catalog (a moment of ACCESS EXCLUSIVE, no rewrite, no index rebuild), so no new column is needed.", col.Type, toSQL))
		g.code(0, fmt.Sprintf("nothing: values of %s fit %s, and both releases read and write %s as before", col.Type, toSQL, name))
		return nil
	}
	newName := name + "_new"
	if g.req.Column != "" {
		if newName, err = parseName(g.req.Column, "--column"); err != nil {
			return err
		}
	}
	m := &move{ref: ref, t: t, old: name, new: newName, col: col, newType: toSQL, oldType: from.String(), convert: true,
		slug: slug("change", ref.name, name, "to", to.Name)}
	return g.moveColumn(m)
}

// cast converts an expression of the old type to the new one (fwd) or back.
func (m *move) cast(expr string, fwd bool) string {
	if !m.convert {
		return expr
	}
	if fwd {
		return fmt.Sprintf("CAST(%s AS %s)", expr, m.newType)
	}
	return fmt.Sprintf("CAST(%s AS %s)", expr, m.oldType)
}

func (g *gen) moveColumn(m *move) error {
	t, ref, col := m.t, m.ref, m.col
	if t.Column(m.new) != nil {
		return fault.Errorf(fault.Usage, "%s already has a column %s", ref.display(), m.new)
	}
	switch {
	case col.Identity:
		return fault.Errorf(fault.Usage, "%s.%s is an identity column: lockstep plan cannot move its sequence to a new column", ref.display(), m.old)
	case col.Generated:
		return fault.Errorf(fault.Usage, "%s.%s is a generated column: add the new generated column with its expression instead", ref.display(), m.old)
	}
	if refs := g.referencedBy(t, m.old); len(refs) > 0 {
		return fault.Errorf(fault.Usage, "%s.%s is referenced by the foreign key %s: move that first (drop it, and add it back on %s with lockstep plan add-foreign-key)",
			ref.display(), m.old, strings.Join(refs, ", "), m.new)
	}
	key, err := g.batchKey(t, ref)
	if err != nil {
		return err
	}
	m.fn = objName("lockstep_sync", ref.name, m.old, m.new)
	tq := ref.sql()
	o, n := ident(m.old), ident(m.new)

	// What moves with the column: constraints and indexes.
	var expand, validate, contractAdd []string
	var indexFiles [][2]string
	rename := func(name string) string {
		parts := strings.Split(name, "_")
		for i, p := range parts {
			if p == m.old {
				parts[i] = m.new
				return objName(strings.Join(parts, "_"))
			}
		}
		if strings.Contains(name, m.old) {
			return objName(strings.Replace(name, m.old, m.new, 1))
		}
		return objName(name, m.new)
	}
	var notNullCheck string
	if col.NotNull {
		notNullCheck = objName(ref.name, m.new, "not_null")
		expand = append(expand, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;", tq, ident(notNullCheck), n))
		validate = append(validate, fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", tq, ident(notNullCheck)))
	}
	indexesDone := map[string]bool{}
	for _, ct := range t.Constraints {
		if !contains(ct.Columns, m.old) {
			continue
		}
		switch ct.Kind {
		case lint.Check, lint.ForeignKey:
			if ct.Kind == lint.Check && ct.NotNullOf == m.old && col.NotNull {
				continue // covered by the NOT NULL check
			}
			def := g.h.defs.constraint(t.Qualified(), ct)
			if def == nil {
				return fault.Errorf(fault.Usage, "%s: lockstep cannot read the definition of the constraint %s on %s.%s, which the drop of %s would take along", g.req.Kind, ct.Name, ref.display(), m.old, m.old)
			}
			def = pgtree.Clone(def)
			renameColumn(def, m.old, m.new)
			def.Conname = rename(ct.Name)
			def.SkipValidation, def.InitiallyValid = true, false
			sql, err := deparse(&pg.Node{Node: &pg.Node_AlterTableStmt{AlterTableStmt: &pg.AlterTableStmt{
				Relation: ref.rv(), Objtype: pg.ObjectType_OBJECT_TABLE,
				Cmds: []*pg.Node{{Node: &pg.Node_AlterTableCmd{AlterTableCmd: &pg.AlterTableCmd{
					Subtype: pg.AlterTableType_AT_AddConstraint, Def: &pg.Node{Node: &pg.Node_Constraint{Constraint: def}}}}}},
			}}})
			if err != nil {
				return fault.Errorf(fault.Usage, "%s: constraint %s: %v", g.req.Kind, ct.Name, err)
			}
			expand = append(expand, sql)
			validate = append(validate, fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", tq, ident(def.Conname)))
		case lint.Unique, lint.PrimaryKey:
			if len(ct.Columns) != 1 && ct.Kind == lint.PrimaryKey {
				return fault.Errorf(fault.Usage, "%s.%s is part of the primary key %s (%s): lockstep plan moves only a single-column primary key", ref.display(), m.old, ct.Name, strings.Join(ct.Columns, ", "))
			}
			cols := replaceAll(ct.Columns, m.old, m.new)
			ixName := rename(ct.Name)
			if ct.Kind == lint.PrimaryKey {
				ixName = objName(ref.name, m.new, "pkey")
			}
			var colSQL []string
			for _, c := range cols {
				colSQL = append(colSQL, ident(c))
			}
			indexFiles = append(indexFiles, [2]string{ixName,
				cicNote + fmt.Sprintf("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);", ident(ixName), tq, strings.Join(colSQL, ", "))})
			kind := "UNIQUE"
			conName := ixName
			if ct.Kind == lint.PrimaryKey {
				kind, conName = "PRIMARY KEY", ct.Name
			}
			contractAdd = append(contractAdd, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s;", tq, ident(conName), kind, ident(ixName)))
			indexesDone[ct.Name] = true
		case lint.Exclusion:
			return fault.Errorf(fault.Usage, "%s.%s is part of the exclusion constraint %s: lockstep plan cannot move it", ref.display(), m.old, ct.Name)
		}
	}
	if pk := primaryKey(t); pk != nil && contains(pk.Columns, m.old) && !col.NotNull {
		return fault.Errorf(fault.Usage, "%s.%s: primary key column without NOT NULL in the catalog", ref.display(), m.old)
	}
	for _, ix := range g.h.Catalog.IndexesOn(t.Qualified()) {
		if !contains(ix.Columns, m.old) || indexesDone[ix.Name] {
			continue
		}
		def := g.h.defs.index(ix)
		if def == nil || !equalStrings(lint.IndexColumns(def), ix.Columns) {
			return fault.Errorf(fault.Usage, "%s: lockstep cannot read the definition of the index %s on %s.%s, which the drop of %s would take along", g.req.Kind, ix.Name, ref.display(), m.old, m.old)
		}
		def = pgtree.Clone(def)
		renameColumn(def, m.old, m.new)
		def.Idxname = rename(ix.Name)
		def.Concurrent, def.IfNotExists = true, true
		sql, err := deparse(&pg.Node{Node: &pg.Node_IndexStmt{IndexStmt: def}})
		if err != nil {
			return fault.Errorf(fault.Usage, "%s: index %s: %v", g.req.Kind, ix.Name, err)
		}
		indexFiles = append(indexFiles, [2]string{def.Idxname, cicNote + sql})
	}

	// 1. expand: the new column, what guards it, and the trigger.
	what := fmt.Sprintf("add %s next to %s", m.new, m.old)
	if m.convert {
		what = fmt.Sprintf("add %s %s next to %s", m.new, m.newType, m.old)
	}
	// The trigger comes before the constraints, which bind new writes at
	// once: the trigger is what fills the new column of the old release's.
	stmts := []string{fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s;", tq, n, m.newType)}
	stmts = append(stmts, syncFunction(m, g.cfg.Runner), fmt.Sprintf("CREATE TRIGGER %s\n  BEFORE INSERT OR UPDATE ON %s\n  FOR EACH ROW EXECUTE FUNCTION %s();",
		ident(m.fn), tq, ident(m.fn)))
	stmts = append(stmts, expand...)
	g.file(lint.Expand, 0, m.slug+"_expand", what+", and a trigger that keeps the two equal whichever one a release writes",
		g.locked(stmts...)...)
	for _, ix := range indexFiles {
		g.file(lint.Expand, 0, slug("create", ix[0]), "build "+ix[0]+" on "+m.new+" without blocking writes", ix[1])
	}

	// 2. backfill: copy the rows written before the trigger existed.
	g.file(lint.Backfill, 0, m.slug+"_backfill",
		fmt.Sprintf("copy %s into %s for the rows written before the trigger, %d keys a batch", m.old, m.new, g.req.BatchSize),
		g.batchHeader(key)+"\n"+fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL AND %s IS NOT NULL;", tq, n, m.cast(o, true), n, o))
	if len(validate) > 0 {
		g.file(lint.Backfill, 0, m.slug+"_validate", "validate the constraints of "+m.new+" now that every row is copied (no lock that blocks traffic)",
			validate...)
	}

	// 3. contract: the new column takes over.
	var contract []string
	if notNullCheck != "" {
		// Two statements: SET NOT NULL skips its scan only while the
		// validated CHECK still exists.
		contract = append(contract,
			fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", tq, n),
			fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", tq, ident(notNullCheck)))
	}
	contract = append(contract,
		fmt.Sprintf("DROP TRIGGER %s ON %s;", ident(m.fn), tq),
		fmt.Sprintf("DROP FUNCTION %s();", ident(m.fn)))
	var seqNote string
	if col.Type.Serial {
		seq := objName(ref.name, m.old, "seq")
		seqRef := seq
		if ref.schema != "" {
			seqRef = ref.schema + "." + seq
		}
		contract = append(contract, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s;", qualifiedIdent(ref.schema, seq), tq, n))
		contract = append(contract, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval(%s::regclass), DROP COLUMN %s;", tq, n, literal(seqRef), o))
		seqNote = fmt.Sprintf("%s.%s is serial: the contract assumes its sequence is %s (PostgreSQL's name for it); check with SELECT pg_get_serial_sequence(%s, %s).",
			ref.display(), m.old, seqRef, literal(ref.display()), literal(m.old))
	} else if def := col.DefaultSQL(); def != "" {
		d := def
		if m.convert {
			d = m.cast("("+def+")", true)
		}
		contract = append(contract, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s, DROP COLUMN %s;", tq, n, d, o))
	} else {
		contract = append(contract, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s;", tq, o))
	}
	contract = append(contract, contractAdd...)
	g.file(lint.Contract, 0, m.slug+"_contract", fmt.Sprintf("drop the trigger and %s, %s takes over%s", m.old, m.new, notNullText(notNullCheck)),
		g.locked(contract...)...)

	// The checklist.
	if m.renaming {
		g.code(0,
			fmt.Sprintf("read and write %s.%s; stop naming %s anywhere (ORMs: map the field to %s). Deploy only after `lockstep migrate backfill` finished: the old rows get %s there.", ref.display(), m.new, m.old, m.new, m.new),
			fmt.Sprintf("while %s and %s both run, the trigger copies each one's writes into the other's column, so either may read its own", g.rel(-1), g.rel(0)))
	} else {
		g.code(0,
			fmt.Sprintf("read and write %s.%s (%s) instead of %s (%s); stop naming %s. Deploy only after `lockstep migrate backfill` finished.", ref.display(), m.new, m.newType, m.old, m.oldType, m.old),
			fmt.Sprintf("while %s and %s both run, the trigger converts each one's writes into the other's column: until the contract, a value must fit both types or the write fails", g.rel(-1), g.rel(0)))
	}
	g.code(1, fmt.Sprintf("nothing to change: the contract drops the trigger and %s once %s is fully rolled out, and no release from %s on uses %s", m.old, g.rel(1), g.rel(0), m.old))
	if !m.renaming {
		g.code(1, fmt.Sprintf("the column stays called %s; to give it back the name %s, `lockstep plan rename-column %s.%s %s` after the contract ran", m.new, m.old, ref.display(), m.new, m.old))
		g.before(fmt.Sprintf("every value must convert: SELECT count(*) FROM %s WHERE %s IS NOT NULL AND %s IS NULL; fails or counts the ones that do not", tq, o, m.cast(o, true)))
	}
	if seqNote != "" {
		g.before(seqNote)
	}
	if len(indexFiles) > 0 {
		var names []string
		for _, ix := range indexFiles {
			names = append(names, ix[0])
		}
		g.note(fmt.Sprintf("The indexes on %s are rebuilt on %s (%s); the ones on %s go with it in the contract.", m.old, m.new, strings.Join(names, ", "), m.old))
	}
	g.before(fmt.Sprintf("views, functions and other tables' code that name %s.%s must move to %s before the contract, or its DROP COLUMN fails (views) or they break", ref.display(), m.old, m.new))
	return nil
}

func notNullText(check string) string {
	if check == "" {
		return ""
	}
	return ", NOT NULL without a scan"
}

func qualifiedIdent(schema, name string) string {
	if schema == "" {
		return ident(name)
	}
	return ident(schema) + "." + ident(name)
}

// syncFunction is the trigger function that keeps the two columns equal.
func syncFunction(m *move, runner lint.Runner) string {
	o, n := "NEW."+ident(m.old), "NEW."+ident(m.new)
	oo, on := "OLD."+ident(m.old), "OLD."+ident(m.new)
	fwd, rev := m.cast(o, true), m.cast(n, false)
	body := fmt.Sprintf(`
BEGIN
  -- Keeps %[2]s and %[3]s equal while one release writes the one and the next the other.
  -- It only assigns NEW in a BEFORE ROW trigger and runs no UPDATE of its own, so it
  -- cannot fire itself: writes never recurse, and a write that already agrees is left alone.
  IF TG_OP = 'INSERT' THEN
    IF %[5]s IS NULL THEN
      %[5]s := %[6]s;
    ELSIF %[5]s IS DISTINCT FROM %[6]s THEN
      %[4]s := %[7]s;
    END IF;
  ELSIF %[5]s IS DISTINCT FROM %[9]s THEN
    IF %[5]s IS DISTINCT FROM %[6]s THEN
      %[4]s := %[7]s;
    END IF;
  ELSIF %[4]s IS DISTINCT FROM %[8]s OR %[5]s IS NULL THEN
    %[5]s := %[6]s;
  END IF;
  RETURN NEW;
END
`, "", m.old, m.new, o, n, fwd, rev, oo, on)
	quoted := "$lockstep$" + body + "$lockstep$"
	if runner == lint.RunnerMultiStatement {
		// golang-migrate's x-multi-statement splits the file at every ';'
		// byte, dollar quotes or not: the body spells its semicolons \073.
		quoted = "E'" + strings.NewReplacer("'", "''", "\\", "\\\\", ";", "\\073").Replace(body) + "'"
	}
	return fmt.Sprintf("CREATE FUNCTION %s() RETURNS trigger\nLANGUAGE plpgsql AS %s;", ident(m.fn), quoted)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func replaceAll(ss []string, from, to string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if s == from {
			s = to
		}
		out[i] = s
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------- rename-table

func genRenameTable(g *gen) error {
	ref, err := parseTableArg(g.req.Args[0])
	if err != nil {
		return err
	}
	newName, err := parseName(g.req.Args[1], "new table name")
	if err != nil {
		return err
	}
	to := tableRef{schema: ref.schema, name: newName}
	t, err := g.table(ref, true)
	if err != nil {
		return err
	}
	if g.h.Catalog.TableNamed(to.qualified()) != nil {
		return fault.Errorf(fault.Usage, "%s already exists", to.display())
	}
	if _, ok := g.h.Catalog.ViewOrigin(to.qualified()); ok {
		return fault.Errorf(fault.Usage, "a view %s already exists", to.display())
	}
	if t.Partitioned || t.PartitionOf != "" {
		return fault.Errorf(fault.Usage, "%s is partitioned or a partition: rename it directly, lockstep plan's view would not route rows", ref.display())
	}
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, ident(c.Name))
	}
	s := slug("rename", ref.name, "to", newName)
	g.file(lint.Expand, 0, s+"_expand",
		fmt.Sprintf("an updatable view %s over %s, so that code can use the new name now", to.display(), ref.display()),
		fmt.Sprintf("CREATE VIEW %s AS\n  SELECT %s\n  FROM %s;", to.sql(), strings.Join(cols, ", "), ref.sql()))
	rename := fmt.Sprintf("ALTER TABLE %s RENAME TO %s;", ref.sql(), ident(newName))
	if lint.RuleByID("rename-table") != nil {
		// lint cannot see that every release since this plan's uses the
		// new name (through the view): say so where it looks.
		rename = fmt.Sprintf("-- lockstep:ignore rename-table no release from %s on names %s: it uses %s, the view until here\n%s",
			g.rel(0), ref.display(), to.display(), rename)
	}
	g.file(lint.Contract, 0, s+"_contract",
		fmt.Sprintf("replace the view by the table itself: rename %s to %s", ref.display(), to.display()),
		g.locked(fmt.Sprintf("DROP VIEW %s;", to.sql()), rename)...)
	g.code(0,
		fmt.Sprintf("use %s instead of %s everywhere. Until the contract, %s is a simple view over %s: SELECT, INSERT, UPDATE, DELETE, RETURNING and ON CONFLICT work through it; TRUNCATE, COPY FROM, LOCK and pg_get_serial_sequence(%s, ...) do not", to.display(), ref.display(), to.display(), ref.display(), literal(to.display())),
		fmt.Sprintf("%s keeps using %s", g.rel(-1), ref.display()))
	g.code(1, fmt.Sprintf("nothing to change: once %s is fully rolled out the contract drops the view and renames the table in one transaction, which code using %s does not notice", g.rel(1), to.display()))
	g.before(fmt.Sprintf("do not add or drop columns of %s until the contract ran: the view's column list is fixed when it is created", ref.display()))
	g.note(fmt.Sprintf("Indexes, constraints and sequences keep their names (%s_pkey, ...); rename them later if you care.", ref.name))
	return nil
}

// ---------------------------------------------------------------- drop-column

func genDropColumn(g *gen) error {
	ref, name, err := parseColumnArg(g.req.Args[0])
	if err != nil {
		return err
	}
	t, err := g.table(ref, false)
	if err != nil {
		return err
	}
	tq, c := ref.sql(), ident(name)
	s := slug("drop", ref.name, name)
	if t != nil {
		col, err := g.column(t, ref, name)
		if err != nil {
			return err
		}
		if pk := primaryKey(t); pk != nil && contains(pk.Columns, name) {
			return fault.Errorf(fault.Usage, "%s.%s is part of the primary key %s: give the table another primary key first", ref.display(), name, pk.Name)
		}
		if refs := g.referencedBy(t, name); len(refs) > 0 {
			return fault.Errorf(fault.Usage, "%s.%s is referenced by the foreign key %s: drop that first", ref.display(), name, strings.Join(refs, ", "))
		}
		if col.NotNull && col.Default == nil && !col.Identity && !col.Generated {
			g.file(lint.Expand, 0, s+"_optional",
				fmt.Sprintf("make %s optional, so that %s's inserts, which leave it out, keep working", name, g.rel(0)),
				g.locked(fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL;", tq, c))...)
		}
		var lost []string
		for _, ix := range g.h.Catalog.IndexesOn(t.Qualified()) {
			if contains(ix.Columns, name) {
				lost = append(lost, ix.Name)
			}
		}
		for _, ct := range t.Constraints {
			if contains(ct.Columns, name) && (ct.Kind == lint.Check || ct.Kind == lint.ForeignKey) {
				lost = append(lost, ct.Name)
			}
		}
		if len(lost) > 0 {
			g.note(fmt.Sprintf("The drop takes %s along.", strings.Join(lost, ", ")))
		}
	} else {
		g.note(fmt.Sprintf("No migration in %s creates %s, so lockstep cannot tell whether %s is NOT NULL: if it is and has no default, add ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL; in an expand file first.", g.h.Dir, ref.display(), name, tq, c))
	}
	g.file(lint.Contract, 0, s, fmt.Sprintf("drop %s.%s, which no release from %s on uses", ref.display(), name, g.rel(0)),
		g.locked(fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s;", tq, c))...)
	g.code(0, fmt.Sprintf("stop reading and writing %s.%s (ORMs that list every column: remove the field, or mark it ignored)", ref.display(), name))
	g.code(1, fmt.Sprintf("nothing to change: the contract drops %s once %s is fully rolled out", name, g.rel(1)))
	g.before(fmt.Sprintf("views and functions that use %s.%s must change first, or the DROP COLUMN fails (views) or they break", ref.display(), name))
	return nil
}

// ---------------------------------------------------------------- set-not-null

func genSetNotNull(g *gen) error {
	ref, name, err := parseColumnArg(g.req.Args[0])
	if err != nil {
		return err
	}
	t, err := g.table(ref, false)
	if err != nil {
		return err
	}
	tq, c := ref.sql(), ident(name)
	var col *lint.Column
	if t != nil {
		if col, err = g.column(t, ref, name); err != nil {
			return err
		}
		if col.NotNull {
			return fault.Errorf(fault.Usage, "%s.%s is already NOT NULL", ref.display(), name)
		}
	}
	check := objName(ref.name, name, "not_null")
	if g.req.Name != "" {
		if check, err = parseName(g.req.Name, "--name"); err != nil {
			return err
		}
	}
	s := slug("set", ref.name, name, "not_null")
	validated := false
	if t != nil {
		for _, ct := range t.Constraints {
			if ct.Kind == lint.Check && ct.NotNullOf == name {
				check, validated = ct.Name, ct.Valid
				if !ct.Valid {
					g.note(fmt.Sprintf("%s already has the NOT VALID CHECK %s: the plan validates it.", ref.display(), ct.Name))
				}
			}
		}
	}
	hasCheck := t != nil && t.Constraint(check) != nil
	var defSQL string
	if g.req.Default != "" {
		e, err := parseExpr(g.req.Default, "--default")
		if err != nil {
			return err
		}
		if defSQL, err = deparseExpr(e); err != nil {
			return fault.Errorf(fault.Usage, "--default %q: %v", g.req.Default, err)
		}
	}
	if !hasCheck {
		var cmds []string
		if defSQL != "" {
			cmds = append(cmds, fmt.Sprintf("ALTER COLUMN %s SET DEFAULT %s", c, defSQL))
		}
		cmds = append(cmds, fmt.Sprintf("ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID", ident(check), c))
		g.file(lint.Expand, 0, s+"_check", fmt.Sprintf("a CHECK that %s IS NOT NULL, binding new writes only (no scan)", name),
			g.locked(fmt.Sprintf("ALTER TABLE %s\n  %s;", tq, strings.Join(cmds, ",\n  ")))...)
	} else if defSQL != "" {
		g.file(lint.Expand, 0, s+"_default", fmt.Sprintf("a default for %s, so inserts that leave it out get a value", name),
			g.locked(fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;", tq, c, defSQL))...)
	}
	if g.req.Fill != "" {
		e, err := parseExpr(g.req.Fill, "--fill")
		if err != nil {
			return err
		}
		fill, err := deparseExpr(e)
		if err != nil {
			return fault.Errorf(fault.Usage, "--fill %q: %v", g.req.Fill, err)
		}
		key, err := g.batchKey(t, ref)
		if err != nil {
			return err
		}
		g.file(lint.Backfill, 0, s+"_fill", fmt.Sprintf("fill the NULLs of %s with %s, %d keys a batch", name, fill, g.req.BatchSize),
			g.batchHeader(key)+"\n"+fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s IS NULL;", tq, c, fill, c))
	} else {
		g.before(fmt.Sprintf("no row may be NULL when the VALIDATE runs: SELECT count(*) FROM %s WHERE %s IS NULL; (or plan again with --fill EXPR for a batched backfill)", tq, c))
	}
	if !validated {
		g.file(lint.Backfill, 0, s+"_validate", fmt.Sprintf("validate %s: a scan under SHARE UPDATE EXCLUSIVE, which blocks no reads or writes", check),
			fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", tq, ident(check)))
	}
	// Two statements: SET NOT NULL skips its scan only while the validated
	// CHECK still exists.
	g.file(lint.Contract, 0, s, fmt.Sprintf("SET NOT NULL, proven by the validated CHECK (no scan), and drop the CHECK"),
		g.locked(fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", tq, c), fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", tq, ident(check)))...)
	switch {
	case defSQL != "":
		g.code(0, fmt.Sprintf("write %s.%s on every insert and update, or leave it out and get the default %s; never write NULL", ref.display(), name, defSQL))
	case col != nil && col.Default != nil:
		g.code(0, fmt.Sprintf("never write NULL into %s.%s (inserts that leave it out get its default %s)", ref.display(), name, col.DefaultSQL()))
	default:
		g.code(0, fmt.Sprintf("write %s.%s on every insert and never write NULL into it", ref.display(), name))
		g.before(fmt.Sprintf("the CHECK binds from the expand step on, while %s still runs: it must already write %s on every insert and update (or plan again with --default EXPR)", g.rel(-1), name))
	}
	g.code(1, fmt.Sprintf("nothing to change: the contract sets NOT NULL once %s is fully rolled out", g.rel(1)))
	return nil
}

// ---------------------------------------------------------------- add-foreign-key

var onDelete = map[string]string{"cascade": "CASCADE", "restrict": "RESTRICT", "set null": "SET NULL", "set default": "SET DEFAULT", "no action": "NO ACTION"}

func genAddForeignKey(g *gen) error {
	ref, name, err := parseColumnArg(g.req.Args[0])
	if err != nil {
		return err
	}
	pref, pcol, err := parseColumnArg(g.req.Args[1])
	if err != nil {
		return err
	}
	t, err := g.table(ref, false)
	if err != nil {
		return err
	}
	if t != nil {
		if _, err := g.column(t, ref, name); err != nil {
			return err
		}
	}
	pt, err := g.table(pref, false)
	if err != nil {
		return err
	}
	if pt != nil {
		if _, err := g.column(pt, pref, pcol); err != nil {
			return err
		}
		if !g.uniqueOn(pt, pcol) {
			return fault.Errorf(fault.Usage, "%s.%s has no primary key, unique constraint or unique index of its own: a foreign key needs one (lockstep plan add-unique %s.%s)", pref.display(), pcol, pref.display(), pcol)
		}
	}
	con := objName(ref.name, name, "fkey")
	if g.req.Name != "" {
		if con, err = parseName(g.req.Name, "--name"); err != nil {
			return err
		}
	}
	if t != nil && t.Constraint(con) != nil {
		return fault.Errorf(fault.Usage, "%s already has a constraint %s (--name NAME picks another)", ref.display(), con)
	}
	action := ""
	if g.req.OnDelete != "" {
		a, ok := onDelete[strings.ToLower(strings.Join(strings.Fields(g.req.OnDelete), " "))]
		if !ok {
			return fault.Errorf(fault.Usage, "--on-delete %q: want cascade, restrict, set null, set default or no action", g.req.OnDelete)
		}
		action = " ON DELETE " + a
	}
	tq, c := ref.sql(), ident(name)
	s := slug("add", ref.name, name, "fkey")
	indexed := false
	if t != nil {
		for _, ix := range g.h.Catalog.IndexesOn(t.Qualified()) {
			if !ix.Partial && len(ix.Columns) > 0 && ix.Columns[0] == name {
				indexed = true
			}
		}
	}
	if !indexed {
		ix := objName(ref.name, name, "idx")
		g.file(lint.Expand, 0, slug("index", ref.name, name), fmt.Sprintf("index %s without blocking writes, so deletes and key updates on %s do not scan %s", name, pref.display(), ref.display()),
			cicNote+fmt.Sprintf("CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);", ident(ix), tq, c))
	}
	g.file(lint.Expand, 0, s, fmt.Sprintf("the foreign key, NOT VALID: binds new writes at once, checks no existing row"),
		g.locked(fmt.Sprintf("ALTER TABLE %s\n  ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)%s NOT VALID;", tq, ident(con), c, pref.sql(), ident(pcol), action))...)
	g.file(lint.Backfill, 0, s+"_validate", fmt.Sprintf("validate %s: a scan under SHARE UPDATE EXCLUSIVE on %s and ROW SHARE on %s, which block no reads or writes", con, ref.display(), pref.display()),
		fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", tq, ident(con)))
	g.before(fmt.Sprintf("no existing row may point nowhere, or the VALIDATE fails: SELECT count(*) FROM %s t WHERE t.%s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%s = t.%s);", tq, c, pref.sql(), ident(pcol), c))
	g.code(0, fmt.Sprintf("nothing new, but know that from the expand step on (while %s still runs) an insert or update of %s.%s must name an existing %s.%s, and a delete of a referenced %s row fails%s", g.rel(-1), ref.display(), name, pref.display(), pcol, pref.display(), map[bool]string{true: " or cascades", false: ""}[action != ""]))
	return nil
}

// uniqueOn reports whether a column alone has a primary key, a unique
// constraint or a complete unique index on the column itself (not an
// expression), which a foreign key can reference.
func (g *gen) uniqueOn(t *lint.Table, col string) bool {
	for _, ct := range t.Constraints {
		if (ct.Kind == lint.PrimaryKey || ct.Kind == lint.Unique) && equalStrings(ct.Columns, []string{col}) {
			return true
		}
	}
	for _, ix := range g.h.Catalog.IndexesOn(t.Qualified()) {
		if !ix.Unique || ix.Partial || !equalStrings(ix.Columns, []string{col}) {
			continue
		}
		if def := g.h.defs.index(ix); def != nil && len(def.IndexParams) == 1 && def.IndexParams[0].GetIndexElem().GetName() == col {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- add-unique

func genAddUnique(g *gen) error {
	head, rest, _ := strings.Cut(g.req.Args[0], ",")
	ref, first, err := parseColumnArg(head)
	if err != nil {
		return err
	}
	cols := []string{first}
	if rest != "" {
		for _, part := range strings.Split(rest, ",") {
			c, err := parseName(strings.TrimSpace(part), "column of add-unique TABLE.COL,COL")
			if err != nil {
				return err
			}
			if contains(cols, c) {
				return fault.Errorf(fault.Usage, "%q: column %s given twice", g.req.Args[0], c)
			}
			cols = append(cols, c)
		}
	}
	t, err := g.table(ref, false)
	if err != nil {
		return err
	}
	if t != nil {
		for _, c := range cols {
			if _, err := g.column(t, ref, c); err != nil {
				return err
			}
		}
		for _, ct := range t.Constraints {
			if (ct.Kind == lint.Unique || ct.Kind == lint.PrimaryKey) && equalStrings(ct.Columns, cols) {
				return fault.Errorf(fault.Usage, "%s (%s) is already unique: %s", ref.display(), strings.Join(cols, ", "), ct.Name)
			}
		}
	}
	name := objName(append(append([]string{ref.name}, cols...), "key")...)
	if g.req.Name != "" {
		if name, err = parseName(g.req.Name, "--name"); err != nil {
			return err
		}
	}
	if g.h.Catalog.Index(ref.schema, name) != nil {
		return fault.Errorf(fault.Usage, "an index %s already exists (--name NAME picks another)", name)
	}
	var colSQL []string
	for _, c := range cols {
		colSQL = append(colSQL, ident(c))
	}
	tq := ref.sql()
	s := slug(append(append([]string{"add", ref.name}, cols...), "unique")...)
	g.file(lint.Expand, 0, s+"_index", fmt.Sprintf("build the unique index %s without blocking writes", name),
		cicNote+fmt.Sprintf("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);", ident(name), tq, strings.Join(colSQL, ", ")))
	g.file(lint.Contract, 0, s, fmt.Sprintf("turn %s into a UNIQUE constraint (catalog only: the index already proves it)", name),
		g.locked(fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s UNIQUE USING INDEX %s;", tq, ident(name), ident(name)))...)
	list := strings.Join(colSQL, ", ")
	g.before(fmt.Sprintf("no duplicates may exist, or the index build fails and leaves an INVALID index (lockstep migrate drops and rebuilds it on the next run): SELECT %s, count(*) FROM %s GROUP BY %s HAVING count(*) > 1;", list, tq, list))
	g.code(0, fmt.Sprintf("from the expand step on (while %s still runs) an insert or update that duplicates (%s) of %s fails with a unique violation: both releases must expect it (ON CONFLICT, or an error the user sees)", g.rel(-1), strings.Join(cols, ", "), ref.display()))
	return nil
}

// ---------------------------------------------------------------- add-check

func genAddCheck(g *gen) error {
	ref, err := parseTableArg(g.req.Args[0])
	if err != nil {
		return err
	}
	name, err := parseName(g.req.Args[1], "constraint name")
	if err != nil {
		return err
	}
	e, err := parseExpr(g.req.Args[2], "CHECK expression")
	if err != nil {
		return err
	}
	expr, err := deparseExpr(e)
	if err != nil {
		return fault.Errorf(fault.Usage, "CHECK expression %q: %v", g.req.Args[2], err)
	}
	t, err := g.table(ref, false)
	if err != nil {
		return err
	}
	if t != nil {
		for _, c := range lint.ColumnRefs(e) {
			if t.Column(c) == nil {
				return fault.Errorf(fault.Usage, "CHECK expression %q: %s has no column %s", g.req.Args[2], ref.display(), c)
			}
		}
		if t.Constraint(name) != nil {
			return fault.Errorf(fault.Usage, "%s already has a constraint %s", ref.display(), name)
		}
	}
	tq := ref.sql()
	s := slug("add", ref.name, name)
	g.file(lint.Expand, 0, s, fmt.Sprintf("the CHECK %s, NOT VALID: binds new writes at once, checks no existing row", name),
		g.locked(fmt.Sprintf("ALTER TABLE %s\n  ADD CONSTRAINT %s CHECK (%s) NOT VALID;", tq, ident(name), expr))...)
	g.file(lint.Backfill, 0, s+"_validate", fmt.Sprintf("validate %s: a scan under SHARE UPDATE EXCLUSIVE, which blocks no reads or writes", name),
		fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s;", tq, ident(name)))
	g.before(fmt.Sprintf("no existing row may break it, or the VALIDATE fails: SELECT count(*) FROM %s WHERE NOT (%s);", tq, expr))
	g.code(0, fmt.Sprintf("from the expand step on (while %s still runs) every insert and update of %s must satisfy %s: both releases must already write only such rows", g.rel(-1), ref.display(), expr))
	return nil
}
