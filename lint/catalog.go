package lint

import (
	"sort"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/lockstep-dev/lockstep/internal/pgtree"
)

// Origin says where an object was created, and so whether the running
// release reads it. The zero Origin is an object the linted files never
// create: it exists, with readers. An object created by the file being
// linted, or by an unreleased file (New: added since --since), has no
// readers yet; one created by an earlier, released file has.
type Origin struct {
	File string
	Line int
	New  bool
}

// Table is a table (or a partitioned table) as the replayed history left it.
type Table struct {
	Schema, Name string
	Columns      []*Column
	Constraints  []*Constraint
	Origin       Origin
	// Partitioned is true for a table declared PARTITION BY; PartitionOf names
	// the parent of a partition.
	Partitioned bool
	PartitionOf string
	// PartitionKey lists the key columns of a partitioned table (expressions
	// contribute the columns they use); DefaultPartition is true for the
	// DEFAULT partition of its parent.
	PartitionKey     []string
	DefaultPartition bool
	// PartitionKeyExpr is true when a partition key is an expression, not
	// a plain column.
	PartitionKeyExpr bool
	Unlogged         bool
	// Known is false for a placeholder the catalog made up for a table the
	// linted files never create: it exists and has readers, but its columns
	// and constraints are not known.
	Known bool
}

// Column is one column of a table.
type Column struct {
	Name    string
	Type    Type
	NotNull bool
	// Default is the default expression, nil for none; DefaultSQL renders it.
	Default   *pg.Node
	Identity  bool
	Generated bool
	Origin    Origin
}

// ConstraintKind names a kind of table constraint.
type ConstraintKind string

const (
	Check      ConstraintKind = "check"
	ForeignKey ConstraintKind = "foreign key"
	Unique     ConstraintKind = "unique"
	PrimaryKey ConstraintKind = "primary key"
	Exclusion  ConstraintKind = "exclusion"
)

// Constraint is a table constraint.
type Constraint struct {
	Name    string
	Kind    ConstraintKind
	Columns []string
	// Valid is false for a constraint added NOT VALID and not validated since.
	Valid bool
	// NotNullOf names the column of a CHECK (col IS NOT NULL) constraint.
	NotNullOf string
	// Expr is the expression of a CHECK constraint (parse tree, read-only).
	Expr *pg.Node
	// References is the referenced table of a foreign key, qualified.
	References string
	Origin     Origin
}

// Index is an index.
type Index struct {
	Schema, Name string
	Table        string // qualified
	Columns      []string
	Unique       bool
	Partial      bool
	// Expression is true when a key is an expression, not a plain column
	// (such an index cannot back a constraint through USING INDEX).
	Expression bool
	Origin     Origin
}

// Enum is an enum type.
type Enum struct {
	Schema, Name string
	Values       []string
	Origin       Origin
	// added holds the origin of each value added by ALTER TYPE ... ADD VALUE
	// (values of CREATE TYPE share the type's Origin).
	added map[string]Origin
}

// ValueOrigin says where a value of the enum was created: the ADD VALUE
// that added it, or else the type itself.
func (e *Enum) ValueOrigin(v string) Origin {
	if o, ok := e.added[v]; ok {
		return o
	}
	return e.Origin
}

// Function is a function or procedure whose body the linter can look into.
type Function struct {
	Name       string // qualified
	Volatility string // "immutable", "stable" or "volatile"
	Body       []*Statement
	Source     *Source
	Origin     Origin
}

// Catalog is the schema built by replaying migrations in order.
type Catalog struct {
	tables  map[string]*Table
	indexes map[string]*Index
	// byTable holds the same indexes by their table's qualified name, then
	// by key: rules ask for a table's indexes at every foreign key and
	// dropped column. setIndex and deleteIndex keep the two in step.
	byTable   map[string]map[string]*Index
	enums     map[string]*Enum
	views     map[string]Origin
	funcs     map[string]*Function
	schemas   map[string]Origin
	sequences map[string]Origin
	domains   map[string]Origin
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{
		tables: map[string]*Table{}, indexes: map[string]*Index{}, byTable: map[string]map[string]*Index{}, enums: map[string]*Enum{},
		views: map[string]Origin{}, funcs: map[string]*Function{}, schemas: map[string]Origin{},
		sequences: map[string]Origin{}, domains: map[string]Origin{},
	}
}

// QualifiedName returns schema.name for a relation, defaulting to public.
func QualifiedName(rv *pg.RangeVar) string {
	if rv == nil {
		return ""
	}
	return qualify(rv.Schemaname, rv.Relname)
}

func qualify(schema, name string) string {
	if schema == "" {
		schema = "public"
	}
	return schema + "." + name
}

// DisplayName drops the public. prefix for messages.
func DisplayName(qualified string) string { return strings.TrimPrefix(qualified, "public.") }

// Table returns the table a relation names, or nil when the history never
// created it (callers treat that as an existing table with readers).
func (c *Catalog) Table(rv *pg.RangeVar) *Table {
	if rv == nil {
		return nil
	}
	return c.tables[QualifiedName(rv)]
}

// TableNamed looks a table up by its qualified name.
func (c *Catalog) TableNamed(qualified string) *Table { return c.tables[qualified] }

// Tables returns every table, sorted by name.
func (c *Catalog) Tables() []*Table {
	out := make([]*Table, 0, len(c.tables))
	for _, t := range c.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Qualified() < out[j].Qualified() })
	return out
}

// Index returns the index of that (possibly unqualified) name.
func (c *Catalog) Index(schema, name string) *Index { return c.indexes[qualify(schema, name)] }

// IndexesOn returns the indexes of a table, sorted by name.
func (c *Catalog) IndexesOn(qualified string) []*Index {
	on := c.byTable[qualified]
	if len(on) == 0 {
		return nil
	}
	out := make([]*Index, 0, len(on))
	for _, ix := range on {
		out = append(out, ix)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// setIndex records an index under its key (schema.name).
func (c *Catalog) setIndex(key string, ix *Index) {
	c.deleteIndex(key) // a replaced index leaves its table's set
	c.indexes[key] = ix
	on := c.byTable[ix.Table]
	if on == nil {
		on = map[string]*Index{}
		c.byTable[ix.Table] = on
	}
	on[key] = ix
}

// deleteIndex forgets the index of that key, if any.
func (c *Catalog) deleteIndex(key string) {
	ix := c.indexes[key]
	if ix == nil {
		return
	}
	delete(c.indexes, key)
	if on := c.byTable[ix.Table]; on != nil {
		delete(on, key)
		if len(on) == 0 {
			delete(c.byTable, ix.Table)
		}
	}
}

// deleteIndexesOn forgets the indexes of a table (whose columns include
// column, unless it is "").
func (c *Catalog) deleteIndexesOn(table, column string) {
	for k, ix := range c.byTable[table] {
		if column == "" || contains(ix.Columns, column) {
			c.deleteIndex(k)
		}
	}
}

// Enum returns an enum type by its parts (schema may be empty).
func (c *Catalog) Enum(schema, name string) *Enum { return c.enums[qualify(schema, name)] }

// Function returns a function created by the history, by qualified name.
func (c *Catalog) Function(qualified string) *Function { return c.funcs[qualified] }

// ViewOrigin reports whether a view or materialized view exists and where it came from.
func (c *Catalog) ViewOrigin(qualified string) (Origin, bool) {
	o, ok := c.views[qualified]
	return o, ok
}

// DomainOrigin reports whether the history created a domain (by qualified
// name), and where.
func (c *Catalog) DomainOrigin(qualified string) (Origin, bool) {
	o, ok := c.domains[qualified]
	return o, ok
}

// Partitions returns the partitions of a partitioned table, sorted by name.
func (c *Catalog) Partitions(qualified string) []*Table {
	var out []*Table
	for _, t := range c.Tables() {
		if t.PartitionOf == qualified {
			out = append(out, t)
		}
	}
	return out
}

// Qualified is schema.name.
func (t *Table) Qualified() string { return qualify(t.Schema, t.Name) }

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	if t == nil {
		return nil
	}
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Constraint returns the named constraint, or nil.
func (t *Table) Constraint(name string) *Constraint {
	if t == nil {
		return nil
	}
	for _, c := range t.Constraints {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// HasValidNotNullCheck reports whether a validated CHECK (col IS NOT NULL)
// exists, which lets SET NOT NULL skip its scan from PostgreSQL 12.
func (t *Table) HasValidNotNullCheck(col string) bool {
	if t == nil {
		return false
	}
	for _, c := range t.Constraints {
		if c.Kind == Check && c.Valid && c.NotNullOf == col {
			return true
		}
	}
	return false
}

// nonNull returns a default expression, nil for none or DEFAULT NULL.
func nonNull(e *pg.Node) *pg.Node {
	if ac := e.GetAConst(); ac != nil && ac.Isnull {
		return nil
	}
	return e
}

// SchemaOrigin reports whether the history created a schema, and where.
func (c *Catalog) SchemaOrigin(name string) (Origin, bool) {
	o, ok := c.schemas[name]
	return o, ok
}

// nextvalDefault stands for the sequence default of a serial column.
var nextvalDefault = pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode("nextval")}, nil, 0)

// DefaultSQL renders the column's default as SQL, "" for none.
func (c *Column) DefaultSQL() string { return deparseExpr(c.Default) }

// apply updates the catalog with the effect of one statement. o is the origin
// of anything the statement creates.
func (c *Catalog) apply(s *Statement, o Origin) {
	n := s.Node
	switch {
	case n.GetCreateStmt() != nil:
		c.createTable(n.GetCreateStmt(), o)
	case n.GetCreateTableAsStmt() != nil:
		cs := n.GetCreateTableAsStmt()
		if cs.Into != nil && cs.Into.Rel != nil {
			name := QualifiedName(cs.Into.Rel)
			if _, isView := c.views[name]; cs.IfNotExists && (c.tables[name] != nil || isView) {
				break
			}
			if cs.Objtype == pg.ObjectType_OBJECT_MATVIEW {
				c.views[name] = o
			} else {
				// The columns come from the query: not known.
				c.tables[name] = &Table{Schema: schemaOf(cs.Into.Rel), Name: cs.Into.Rel.Relname, Origin: o}
			}
		}
	case n.GetSelectStmt() != nil && n.GetSelectStmt().IntoClause != nil && n.GetSelectStmt().IntoClause.Rel != nil && s.Via == nil:
		// SELECT ... INTO t creates t like CREATE TABLE t AS (in PL/pgSQL,
		// INTO assigns variables instead: top-level statements only).
		rel := n.GetSelectStmt().IntoClause.Rel
		c.tables[QualifiedName(rel)] = &Table{Schema: schemaOf(rel), Name: rel.Relname, Origin: o}
	case n.GetViewStmt() != nil:
		c.views[QualifiedName(n.GetViewStmt().View)] = o
	case n.GetAlterTableStmt() != nil:
		c.alterTable(n.GetAlterTableStmt(), o)
	case n.GetIndexStmt() != nil:
		c.createIndex(n.GetIndexStmt(), o)
	case n.GetDropStmt() != nil:
		c.drop(n.GetDropStmt())
	case n.GetRenameStmt() != nil:
		c.rename(n.GetRenameStmt())
	case n.GetCreateEnumStmt() != nil:
		e := n.GetCreateEnumStmt()
		schema, name := splitName(e.TypeName)
		en := &Enum{Schema: schema, Name: name, Origin: o}
		for _, v := range e.Vals {
			en.Values = append(en.Values, strVal(v))
		}
		c.enums[qualify(schema, name)] = en
	case n.GetAlterEnumStmt() != nil:
		e := n.GetAlterEnumStmt()
		schema, name := splitName(e.TypeName)
		en := c.enums[qualify(schema, name)]
		if en == nil {
			en = &Enum{Schema: schema, Name: name, Origin: Origin{}}
			c.enums[qualify(schema, name)] = en
		}
		if e.OldVal != "" {
			for i, v := range en.Values {
				if v == e.OldVal {
					en.Values[i] = e.NewVal
				}
			}
			if ao, ok := en.added[e.OldVal]; ok {
				delete(en.added, e.OldVal)
				en.added[e.NewVal] = ao
			}
		} else if e.NewVal != "" && !(e.SkipIfNewValExists && contains(en.Values, e.NewVal)) {
			en.Values = append(en.Values, e.NewVal)
			if en.added == nil {
				en.added = map[string]Origin{}
			}
			en.added[e.NewVal] = o
		}
	case n.GetCreateSchemaStmt() != nil:
		cs := n.GetCreateSchemaStmt()
		if _, ok := c.schemas[cs.Schemaname]; !ok || !cs.IfNotExists {
			c.schemas[cs.Schemaname] = o
		}
	case n.GetCreateSeqStmt() != nil:
		cs := n.GetCreateSeqStmt()
		if _, ok := c.sequences[QualifiedName(cs.Sequence)]; !ok || !cs.IfNotExists {
			c.sequences[QualifiedName(cs.Sequence)] = o
		}
	case n.GetCreateFunctionStmt() != nil:
		c.createFunction(s, n.GetCreateFunctionStmt(), o)
	case n.GetCreateDomainStmt() != nil:
		schema, name := splitName(n.GetCreateDomainStmt().Domainname)
		c.domains[qualify(schema, name)] = o
	}
}

func schemaOf(rv *pg.RangeVar) string {
	if rv.Schemaname == "" {
		return "public"
	}
	return rv.Schemaname
}

func splitName(names []*pg.Node) (schema, name string) {
	var parts []string
	for _, n := range names {
		parts = append(parts, strVal(n))
	}
	switch len(parts) {
	case 0:
		return "public", ""
	case 1:
		return "public", parts[0]
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

func strVal(n *pg.Node) string {
	if n == nil {
		return ""
	}
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// ensureTable returns the table, making up a placeholder with readers when
// the history never created it.
func (c *Catalog) ensureTable(rv *pg.RangeVar) *Table {
	name := QualifiedName(rv)
	t := c.tables[name]
	if t == nil {
		t = &Table{Schema: schemaOf(rv), Name: rv.Relname, Origin: Origin{}}
		c.tables[name] = t
	}
	return t
}

func (c *Catalog) createTable(cs *pg.CreateStmt, o Origin) {
	if cs.IfNotExists && c.tables[QualifiedName(cs.Relation)] != nil {
		return // a no-op: the table keeps its origin and readers
	}
	t := &Table{Schema: schemaOf(cs.Relation), Name: cs.Relation.Relname, Origin: o, Known: true,
		Partitioned: cs.Partspec != nil, Unlogged: cs.Relation.Relpersistence == "u"}
	if cs.Partspec != nil {
		for _, pe := range cs.Partspec.PartParams {
			if el := pe.GetPartitionElem(); el != nil {
				if el.Name != "" {
					t.PartitionKey = append(t.PartitionKey, el.Name)
				} else {
					t.PartitionKey = append(t.PartitionKey, ColumnRefs(el.Expr)...)
					t.PartitionKeyExpr = true
				}
			}
		}
	}
	if len(cs.InhRelations) > 0 && cs.Partbound != nil {
		t.DefaultPartition = cs.Partbound.IsDefault
		if rv := cs.InhRelations[0].GetRangeVar(); rv != nil {
			t.PartitionOf = QualifiedName(rv)
			if parent := c.tables[t.PartitionOf]; parent != nil {
				for _, col := range parent.Columns {
					cp := *col
					cp.Origin = o
					t.Columns = append(t.Columns, &cp)
				}
			}
		}
	}
	for _, e := range cs.TableElts {
		switch {
		case e.GetColumnDef() != nil:
			c.addColumn(t, e.GetColumnDef(), o)
		case e.GetConstraint() != nil:
			c.addConstraint(t, e.GetConstraint(), o, nil)
		}
	}
	c.tables[t.Qualified()] = t
}

func (c *Catalog) addColumn(t *Table, cd *pg.ColumnDef, o Origin) *Column {
	col := &Column{Name: cd.Colname, Type: TypeOf(cd.TypeName), NotNull: cd.IsNotNull, Origin: o}
	if col.Type.Serial {
		col.NotNull = true
		col.Default = nextvalDefault
	}
	if cd.RawDefault != nil {
		col.Default = nonNull(cd.RawDefault)
	}
	t.Columns = append(t.Columns, col)
	for _, cn := range cd.Constraints {
		con := cn.GetConstraint()
		if con == nil {
			continue
		}
		switch con.Contype {
		case pg.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg.ConstrType_CONSTR_DEFAULT:
			col.Default = nonNull(con.RawExpr)
		case pg.ConstrType_CONSTR_IDENTITY:
			col.Identity, col.NotNull = true, true
		case pg.ConstrType_CONSTR_GENERATED:
			col.Generated = true
		case pg.ConstrType_CONSTR_PRIMARY:
			col.NotNull = true
			c.addConstraint(t, con, o, []string{col.Name})
		default:
			c.addConstraint(t, con, o, []string{col.Name})
		}
	}
	return col
}

// addConstraint records a table constraint; cols names the column of a
// column constraint.
func (c *Catalog) addConstraint(t *Table, con *pg.Constraint, o Origin, cols []string) *Constraint {
	k := constraintKind(con.Contype)
	if k == "" {
		if con.Contype == pg.ConstrType_CONSTR_NOTNULL {
			for _, name := range cols {
				if col := t.Column(name); col != nil {
					col.NotNull = true
				}
			}
		}
		return nil
	}
	if len(cols) == 0 {
		cols = ConstraintColumns(con)
	}
	ct := &Constraint{Name: con.Conname, Kind: k, Columns: cols, Valid: !con.SkipValidation, Origin: o}
	if ct.Name == "" {
		ct.Name = defaultConstraintName(t.Name, cols, k)
	}
	if k == Check {
		ct.NotNullOf = notNullCheckColumn(con.RawExpr)
		ct.Expr = con.RawExpr
	}
	if k == ForeignKey && con.Pktable != nil {
		ct.References = QualifiedName(con.Pktable)
	}
	if k == PrimaryKey {
		for _, name := range cols {
			if col := t.Column(name); col != nil {
				col.NotNull = true
			}
		}
	}
	t.Constraints = append(t.Constraints, ct)
	if k == PrimaryKey || k == Unique || k == Exclusion {
		ixName := con.Indexname
		if ixName == "" {
			ixName = ct.Name
		}
		c.setIndex(qualify(t.Schema, ixName), &Index{Schema: t.Schema, Name: ixName, Table: t.Qualified(),
			Columns: cols, Unique: k != Exclusion, Origin: o})
	}
	return ct
}

// ConstraintColumns lists the columns a table constraint names (its keys,
// the referencing columns of a foreign key, or the columns a CHECK uses).
func ConstraintColumns(con *pg.Constraint) []string {
	var cols []string
	for _, k := range con.Keys {
		cols = append(cols, strVal(k))
	}
	for _, k := range con.FkAttrs {
		cols = append(cols, strVal(k))
	}
	for _, ex := range con.Exclusions {
		if l := ex.GetList(); l != nil && len(l.Items) > 0 {
			if ie := l.Items[0].GetIndexElem(); ie != nil && ie.Name != "" {
				cols = append(cols, ie.Name)
			}
		}
	}
	if con.RawExpr != nil {
		cols = append(cols, ColumnRefs(con.RawExpr)...)
	}
	return dedupe(cols)
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func constraintKind(t pg.ConstrType) ConstraintKind {
	switch t {
	case pg.ConstrType_CONSTR_CHECK:
		return Check
	case pg.ConstrType_CONSTR_FOREIGN:
		return ForeignKey
	case pg.ConstrType_CONSTR_UNIQUE:
		return Unique
	case pg.ConstrType_CONSTR_PRIMARY:
		return PrimaryKey
	case pg.ConstrType_CONSTR_EXCLUSION:
		return Exclusion
	}
	return ""
}

// defaultConstraintName follows PostgreSQL's naming of unnamed constraints.
func defaultConstraintName(table string, cols []string, k ConstraintKind) string {
	suffix := map[ConstraintKind]string{Check: "check", ForeignKey: "fkey", Unique: "key", PrimaryKey: "pkey", Exclusion: "excl"}[k]
	if k == PrimaryKey {
		return table + "_pkey"
	}
	parts := append([]string{table}, cols...)
	return strings.Join(append(parts, suffix), "_")
}

// notNullCheckColumn returns col for an expression "col IS NOT NULL".
func notNullCheckColumn(e *pg.Node) string {
	nt := e.GetNullTest()
	if nt == nil || nt.Nulltesttype != pg.NullTestType_IS_NOT_NULL {
		return ""
	}
	if refs := ColumnRefs(nt.Arg); len(refs) == 1 {
		return refs[0]
	}
	return ""
}

// ColumnRefs lists the column names an expression refers to (last name part).
func ColumnRefs(e *pg.Node) []string {
	var out []string
	pgtree.Walk(e, func(n *pg.Node) bool {
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			if s := strVal(cr.Fields[len(cr.Fields)-1]); s != "" {
				out = append(out, s)
			}
		}
		return true
	})
	return dedupe(out)
}

func (c *Catalog) alterTable(at *pg.AlterTableStmt, o Origin) {
	if at.Relation == nil {
		return
	}
	switch at.Objtype {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_FOREIGN_TABLE:
	case pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW, pg.ObjectType_OBJECT_SEQUENCE:
		return
	default:
		return
	}
	t := c.ensureTable(at.Relation)
	for _, cn := range at.Cmds {
		cmd := cn.GetAlterTableCmd()
		if cmd == nil {
			continue
		}
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddColumn:
			if cd := cmd.Def.GetColumnDef(); cd != nil {
				if cmd.MissingOk && t.Column(cd.Colname) != nil {
					continue
				}
				c.addColumn(t, cd, o)
			}
		case pg.AlterTableType_AT_DropColumn:
			c.dropColumn(t, cmd.Name)
		case pg.AlterTableType_AT_AlterColumnType:
			if col := t.Column(cmd.Name); col != nil {
				if cd := cmd.Def.GetColumnDef(); cd != nil {
					col.Type = TypeOf(cd.TypeName)
				}
			}
		case pg.AlterTableType_AT_SetNotNull:
			if col := t.Column(cmd.Name); col != nil {
				col.NotNull = true
			}
		case pg.AlterTableType_AT_DropNotNull:
			if col := t.Column(cmd.Name); col != nil {
				col.NotNull = false
			}
		case pg.AlterTableType_AT_ColumnDefault:
			if col := t.Column(cmd.Name); col != nil {
				col.Default = nonNull(cmd.Def)
			}
		case pg.AlterTableType_AT_AddIdentity:
			if col := t.Column(cmd.Name); col != nil {
				col.Identity, col.NotNull = true, true
			}
		case pg.AlterTableType_AT_DropIdentity:
			if col := t.Column(cmd.Name); col != nil {
				col.Identity = false
			}
		case pg.AlterTableType_AT_AddConstraint:
			if con := cmd.Def.GetConstraint(); con != nil {
				if con.Indexname != "" { // ADD ... USING INDEX
					if ix := c.indexes[qualify(t.Schema, con.Indexname)]; ix != nil {
						ct := c.addConstraint(t, con, o, ix.Columns)
						if ct != nil && con.Conname == "" {
							ct.Name = con.Indexname
						}
						continue
					}
				}
				c.addConstraint(t, con, o, nil)
			}
		case pg.AlterTableType_AT_ValidateConstraint:
			if ct := t.Constraint(cmd.Name); ct != nil {
				ct.Valid = true
			}
		case pg.AlterTableType_AT_DropConstraint:
			for i, ct := range t.Constraints {
				if ct.Name == cmd.Name {
					t.Constraints = append(t.Constraints[:i], t.Constraints[i+1:]...)
					c.deleteIndex(qualify(t.Schema, ct.Name))
					break
				}
			}
		case pg.AlterTableType_AT_SetLogged:
			t.Unlogged = false
		case pg.AlterTableType_AT_SetUnLogged:
			t.Unlogged = true
		case pg.AlterTableType_AT_AttachPartition:
			if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Name != nil {
				part := c.ensureTable(pc.Name)
				part.PartitionOf = t.Qualified()
				part.DefaultPartition = pc.Bound != nil && pc.Bound.IsDefault
				t.Partitioned = true
			}
		case pg.AlterTableType_AT_DetachPartition:
			if pc := cmd.Def.GetPartitionCmd(); pc != nil && pc.Name != nil {
				if part := c.tables[QualifiedName(pc.Name)]; part != nil {
					part.PartitionOf = ""
					part.DefaultPartition = false
				}
			}
		}
	}
}

func (c *Catalog) dropColumn(t *Table, name string) {
	for i, col := range t.Columns {
		if col.Name == name {
			t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
			break
		}
	}
	// Indexes and constraints on the column go with it.
	kept := t.Constraints[:0]
	for _, ct := range t.Constraints {
		if !contains(ct.Columns, name) {
			kept = append(kept, ct)
		}
	}
	t.Constraints = kept
	c.deleteIndexesOn(t.Qualified(), name)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (c *Catalog) createIndex(is *pg.IndexStmt, o Origin) {
	if is.Relation == nil {
		return
	}
	// An index on a materialized view belongs to the view: no table.
	schema, relname, table := schemaOf(is.Relation), is.Relation.Relname, QualifiedName(is.Relation)
	if _, isView := c.views[table]; !isView {
		t := c.ensureTable(is.Relation)
		schema, relname, table = t.Schema, t.Name, t.Qualified()
	}
	name := is.Idxname
	cols := IndexColumns(is)
	if name == "" {
		name = relname + "_" + strings.Join(cols, "_") + "_idx"
	}
	if is.IfNotExists && c.indexes[qualify(schema, name)] != nil {
		return
	}
	expr := false
	for _, p := range is.IndexParams {
		if ie := p.GetIndexElem(); ie != nil && ie.Name == "" {
			expr = true
		}
	}
	c.setIndex(qualify(schema, name), &Index{Schema: schema, Name: name, Table: table, Columns: cols,
		Unique: is.Unique, Partial: is.WhereClause != nil, Expression: expr, Origin: o})
}

// IndexColumns lists the key columns of an index (expressions contribute the
// columns they use).
func IndexColumns(is *pg.IndexStmt) []string {
	var cols []string
	for _, p := range is.IndexParams {
		ie := p.GetIndexElem()
		if ie == nil {
			continue
		}
		if ie.Name != "" {
			cols = append(cols, ie.Name)
		} else if ie.Expr != nil {
			cols = append(cols, ColumnRefs(ie.Expr)...)
		}
	}
	return cols
}

func (c *Catalog) drop(ds *pg.DropStmt) {
	for _, obj := range ds.Objects {
		schema, name := objectName(obj)
		key := qualify(schema, name)
		switch ds.RemoveType {
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_FOREIGN_TABLE:
			delete(c.tables, key)
			c.deleteIndexesOn(key, "")
		case pg.ObjectType_OBJECT_INDEX:
			c.deleteIndex(key)
		case pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW:
			delete(c.views, key)
			c.deleteIndexesOn(key, "")
		case pg.ObjectType_OBJECT_TYPE:
			delete(c.enums, key)
		case pg.ObjectType_OBJECT_DOMAIN:
			delete(c.domains, key)
		case pg.ObjectType_OBJECT_SEQUENCE:
			delete(c.sequences, key)
		case pg.ObjectType_OBJECT_SCHEMA:
			s := strVal(obj)
			delete(c.schemas, s)
			for k := range c.tables {
				if strings.HasPrefix(k, s+".") {
					delete(c.tables, k)
				}
			}
		}
	}
}

// objectName reads the name of a dropped object: a list of name parts or a
// TypeName.
func objectName(n *pg.Node) (schema, name string) {
	switch {
	case n.GetList() != nil:
		return splitName(n.GetList().Items)
	case n.GetTypeName() != nil:
		return splitName(n.GetTypeName().Names)
	case n.GetString_() != nil:
		return "public", n.GetString_().Sval
	}
	return "public", ""
}

func (c *Catalog) rename(rs *pg.RenameStmt) {
	switch rs.RenameType {
	case pg.ObjectType_OBJECT_TABLE:
		if t := c.tables[QualifiedName(rs.Relation)]; t != nil {
			delete(c.tables, t.Qualified())
			old := t.Qualified()
			t.Name = rs.Newname
			c.tables[t.Qualified()] = t
			if on := c.byTable[old]; on != nil {
				delete(c.byTable, old)
				for _, ix := range on {
					ix.Table = t.Qualified()
				}
				c.byTable[t.Qualified()] = on
			}
			for _, other := range c.tables {
				for _, ct := range other.Constraints {
					if ct.References == old {
						ct.References = t.Qualified()
					}
				}
			}
		}
	case pg.ObjectType_OBJECT_COLUMN:
		if t := c.tables[QualifiedName(rs.Relation)]; t != nil {
			if col := t.Column(rs.Subname); col != nil {
				col.Name = rs.Newname
			}
			for _, ct := range t.Constraints {
				for i, cn := range ct.Columns {
					if cn == rs.Subname {
						ct.Columns[i] = rs.Newname
					}
				}
			}
			for _, ix := range c.IndexesOn(t.Qualified()) {
				for i, cn := range ix.Columns {
					if cn == rs.Subname {
						ix.Columns[i] = rs.Newname
					}
				}
			}
		}
	case pg.ObjectType_OBJECT_INDEX:
		key := QualifiedName(rs.Relation)
		if ix := c.indexes[key]; ix != nil {
			c.deleteIndex(key)
			// Renaming the index of a constraint renames the constraint.
			if t := c.tables[ix.Table]; t != nil {
				if ct := t.Constraint(ix.Name); ct != nil && ct.Kind != Check && ct.Kind != ForeignKey {
					ct.Name = rs.Newname
				}
			}
			ix.Name = rs.Newname
			c.setIndex(qualify(ix.Schema, ix.Name), ix)
		}
	case pg.ObjectType_OBJECT_TABCONSTRAINT:
		if t := c.tables[QualifiedName(rs.Relation)]; t != nil {
			if ct := t.Constraint(rs.Subname); ct != nil {
				ct.Name = rs.Newname
				// ... and renaming a constraint renames its index.
				if ix := c.indexes[qualify(t.Schema, rs.Subname)]; ix != nil && ix.Table == t.Qualified() {
					c.deleteIndex(qualify(t.Schema, rs.Subname))
					ix.Name = rs.Newname
					c.setIndex(qualify(ix.Schema, ix.Name), ix)
				}
			}
		}
	case pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_MATVIEW:
		key := QualifiedName(rs.Relation)
		if o, ok := c.views[key]; ok {
			delete(c.views, key)
			c.views[qualify(schemaOf(rs.Relation), rs.Newname)] = o
		}
	case pg.ObjectType_OBJECT_SCHEMA:
		for k, t := range c.tables {
			if t.Schema == rs.Subname {
				delete(c.tables, k)
				t.Schema = rs.Newname
				c.tables[t.Qualified()] = t
			}
		}
		// The indexes move with their tables.
		var moved []*Index
		for k, ix := range c.indexes {
			if ix.Schema == rs.Subname {
				c.deleteIndex(k)
				moved = append(moved, ix)
			}
		}
		for _, ix := range moved {
			ix.Schema = rs.Newname
			if tschema, tname, ok := strings.Cut(ix.Table, "."); ok && tschema == rs.Subname {
				ix.Table = qualify(rs.Newname, tname)
			}
			c.setIndex(qualify(ix.Schema, ix.Name), ix)
		}
	}
}

func (c *Catalog) createFunction(s *Statement, cf *pg.CreateFunctionStmt, o Origin) {
	schema, name := splitName(cf.Funcname)
	f := &Function{Name: qualify(schema, name), Volatility: "volatile", Origin: o}
	for _, opt := range cf.Options {
		de := opt.GetDefElem()
		if de == nil {
			continue
		}
		if de.Defname == "volatility" {
			f.Volatility = strVal(de.Arg)
		}
	}
	f.Body = s.nestedBody
	f.Source = s.source
	c.funcs[f.Name] = f
}

// deparseExpr renders an expression back to SQL for messages.
func deparseExpr(e *pg.Node) string {
	if e == nil {
		return ""
	}
	out, err := deparseNode(e)
	if err != nil {
		return "(expression)"
	}
	return out
}

// clone returns a deep copy, for linting a file whose changes must not stay.
func (c *Catalog) clone() *Catalog {
	n := NewCatalog()
	for k, t := range c.tables {
		ct := *t
		ct.Columns = make([]*Column, len(t.Columns))
		for i, col := range t.Columns {
			cc := *col
			ct.Columns[i] = &cc
		}
		ct.Constraints = make([]*Constraint, len(t.Constraints))
		for i, con := range t.Constraints {
			cc := *con
			cc.Columns = append([]string(nil), con.Columns...)
			ct.Constraints[i] = &cc
		}
		n.tables[k] = &ct
	}
	for k, ix := range c.indexes {
		ci := *ix
		ci.Columns = append([]string(nil), ix.Columns...)
		n.setIndex(k, &ci)
	}
	for k, e := range c.enums {
		ce := *e
		ce.Values = append([]string(nil), e.Values...)
		if e.added != nil {
			ce.added = make(map[string]Origin, len(e.added))
			for v, o := range e.added {
				ce.added[v] = o
			}
		}
		n.enums[k] = &ce
	}
	for k, v := range c.views {
		n.views[k] = v
	}
	for k, v := range c.funcs {
		n.funcs[k] = v
	}
	for k, v := range c.schemas {
		n.schemas[k] = v
	}
	for k, v := range c.sequences {
		n.sequences[k] = v
	}
	for k, v := range c.domains {
		n.domains[k] = v
	}
	return n
}
