// Command gen writes a realistic golang-migrate history for benchmarks: a
// service that grows over years, thousands of files of what teams really
// ship (tables with foreign keys, columns with defaults, indexes, backfills,
// DO blocks, renames, enums, functions and triggers), safe and unsafe
// alike. The output is deterministic for a seed; every file parses.
//
//	go run ./bench/gen -n 2000 -out bench/corpus
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

func main() {
	n := flag.Int("n", 2000, "number of migration files")
	out := flag.String("out", "bench/corpus", "output directory (emptied of .sql files first)")
	seed := flag.Uint64("seed", 1, "random seed")
	check := flag.Bool("check", true, "parse every file with pg_query and fail on a syntax error")
	flag.Parse()
	if err := run(*n, *out, *seed, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, out string, seed uint64, check bool) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(out, "*.sql"))
	for _, p := range old {
		os.Remove(p)
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tables: nil}
	var bytes int
	for i := 1; i <= n; i++ {
		name, sql := g.file(i)
		if check {
			if _, err := pg.Parse(sql); err != nil {
				return fmt.Errorf("generated file %d (%s) does not parse: %v\n%s", i, name, err, sql)
			}
		}
		path := filepath.Join(out, fmt.Sprintf("%06d_%s.up.sql", i, name))
		if err := os.WriteFile(path, []byte(sql), 0o644); err != nil {
			return err
		}
		bytes += len(sql)
	}
	fmt.Printf("wrote %d migration files (%d KiB) to %s\n", n, bytes/1024, out)
	return nil
}

type table struct {
	name    string
	cols    []string
	indexed map[string]bool
}

type gen struct {
	r      *rand.Rand
	tables []*table
	enums  []string
	seq    int
}

var nouns = []string{"users", "accounts", "orders", "order_items", "payments", "invoices", "refunds", "products",
	"carts", "sessions", "addresses", "shipments", "coupons", "subscriptions", "plans", "events", "audit_log",
	"webhooks", "api_keys", "teams", "memberships", "notifications", "messages", "reviews", "inventory",
	"warehouses", "suppliers", "tax_rates", "currencies", "ledger_entries"}

var colTypes = []string{"text", "bigint", "integer", "boolean", "timestamptz", "timestamp", "numeric(12,2)",
	"varchar(255)", "jsonb", "uuid", "date", "smallint", "char(3)", "inet", "text[]"}

var colNames = []string{"status", "email", "name", "amount", "currency", "note", "created_by", "external_id",
	"kind", "priority", "country", "region", "locale", "score", "retries", "metadata", "archived", "version",
	"source", "channel", "reference", "due_on", "paid_at", "sent_at", "deleted_at", "description", "title"}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) table() *table { return g.tables[g.r.IntN(len(g.tables))] }

func (g *gen) newName(base string) string {
	g.seq++
	return fmt.Sprintf("%s_%d", base, g.seq)
}

// file returns the name and text of migration i.
func (g *gen) file(i int) (string, string) {
	var b strings.Builder
	fmt.Fprintf(&b, "-- Migration %d. Generated for lockstep's benchmark.\n", i)
	if len(g.tables) < 3 || g.chance(0.12) {
		return g.createTable(&b)
	}
	kinds := []func(*strings.Builder) (string, string){
		g.addColumn, g.addColumn, g.addColumn, g.createIndex, g.createIndex, g.createIndexConcurrently,
		g.addForeignKey, g.backfill, g.backfill, g.doBlock, g.rename, g.enum, g.changeType, g.dropColumn,
		g.notNull, g.function, g.checkConstraint, g.createTable,
	}
	return kinds[g.r.IntN(len(kinds))](&b)
}

func (g *gen) createTable(b *strings.Builder) (string, string) {
	name := g.pick(nouns)
	if g.chance(0.7) || g.exists(name) {
		name = g.newName(name)
	}
	t := &table{name: name, cols: []string{"id"}, indexed: map[string]bool{"id": true}}
	if g.chance(0.5) {
		fmt.Fprintf(b, "SET lock_timeout = '2s';\n")
	}
	fmt.Fprintf(b, "CREATE TABLE %s%s (\n", ifNotExists(g.chance(0.3)), name)
	if g.chance(0.5) {
		b.WriteString("  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
	} else {
		b.WriteString("  id serial PRIMARY KEY")
	}
	var fks []string
	for c := 0; c < 2+g.r.IntN(10); c++ {
		col := g.pick(colNames)
		if contains(t.cols, col) {
			continue
		}
		t.cols = append(t.cols, col)
		fmt.Fprintf(b, ",\n  %s %s", col, g.pick(colTypes))
		if g.chance(0.4) {
			b.WriteString(" NOT NULL")
		}
		if g.chance(0.25) {
			b.WriteString(" DEFAULT " + g.pick([]string{"now()", "0", "''", "false", "'pending'", "gen_random_uuid()"}))
		}
	}
	if len(g.tables) > 0 && g.chance(0.6) {
		ref := g.table()
		col := strings.TrimSuffix(ref.name, "s") + "_id"
		if !contains(t.cols, col) {
			t.cols = append(t.cols, col)
			fmt.Fprintf(b, ",\n  %s bigint NOT NULL REFERENCES %s (id)", col, ref.name)
			fks = append(fks, col)
		}
	}
	b.WriteString(",\n  created_at timestamptz NOT NULL DEFAULT now(),\n  updated_at timestamptz NOT NULL DEFAULT now()\n);\n")
	t.cols = append(t.cols, "created_at", "updated_at")
	for _, fk := range fks {
		fmt.Fprintf(b, "CREATE INDEX %s_%s_idx ON %s (%s);\n", name, fk, name, fk)
		t.indexed[fk] = true
	}
	if g.chance(0.3) {
		fmt.Fprintf(b, "COMMENT ON TABLE %s IS 'Owned by the %s team.';\n", name, g.pick([]string{"billing", "growth", "core", "platform"}))
	}
	g.tables = append(g.tables, t)
	return "create_" + name, b.String()
}

func ifNotExists(yes bool) string {
	if yes {
		return "IF NOT EXISTS "
	}
	return ""
}

func (g *gen) exists(name string) bool {
	for _, t := range g.tables {
		if t.name == name {
			return true
		}
	}
	return false
}

func (g *gen) addColumn(b *strings.Builder) (string, string) {
	t := g.table()
	col := g.newName(g.pick(colNames))
	typ := g.pick(colTypes)
	fmt.Fprintf(b, "SET lock_timeout = '%ds';\n", 1+g.r.IntN(5))
	fmt.Fprintf(b, "ALTER TABLE %s ADD COLUMN %s%s %s", t.name, ifNotExists(g.chance(0.4)), col, typ)
	switch g.r.IntN(5) {
	case 0:
		b.WriteString(" DEFAULT now()")
	case 1:
		b.WriteString(" NOT NULL DEFAULT " + g.pick([]string{"0", "false", "''", "'{}'"}))
	case 2:
		b.WriteString(" DEFAULT " + g.pick([]string{"random()", "clock_timestamp()", "gen_random_uuid()"}))
	case 3:
		b.WriteString(" NOT NULL")
	}
	b.WriteString(";\n")
	if g.chance(0.3) {
		col2 := g.newName(g.pick(colNames))
		fmt.Fprintf(b, "ALTER TABLE %s ADD COLUMN %s text;\n", t.name, col2)
		t.cols = append(t.cols, col2)
	}
	t.cols = append(t.cols, col)
	return "add_" + col + "_to_" + t.name, b.String()
}

func (g *gen) col(t *table) string { return t.cols[g.r.IntN(len(t.cols))] }

func (g *gen) createIndex(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	name := g.newName(t.name + "_" + c + "_idx")
	unique := ""
	if g.chance(0.2) {
		unique = "UNIQUE "
	}
	if g.chance(0.5) {
		b.WriteString("SET lock_timeout = '5s';\n")
	}
	fmt.Fprintf(b, "CREATE %sINDEX %s%s ON %s (%s)", unique, ifNotExists(g.chance(0.3)), name, t.name, c)
	if g.chance(0.3) {
		fmt.Fprintf(b, " WHERE %s IS NOT NULL", c)
	}
	b.WriteString(";\n")
	t.indexed[c] = true
	return "index_" + name, b.String()
}

func (g *gen) createIndexConcurrently(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	name := g.newName(t.name + "_" + c + "_idx")
	fmt.Fprintf(b, "CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s USING btree (%s);\n", name, t.name, c)
	t.indexed[c] = true
	return "index_" + name + "_concurrently", b.String()
}

func (g *gen) addForeignKey(b *strings.Builder) (string, string) {
	t, ref := g.table(), g.table()
	col := g.newName(strings.TrimSuffix(ref.name, "s") + "_id")
	con := g.newName("fk_" + t.name)
	b.WriteString("SET lock_timeout = '2s';\n")
	fmt.Fprintf(b, "ALTER TABLE %s ADD COLUMN %s bigint;\n", t.name, col)
	if g.chance(0.6) {
		fmt.Fprintf(b, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (id) NOT VALID;\n", t.name, con, col, ref.name)
		if g.chance(0.5) {
			fmt.Fprintf(b, "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n", t.name, con)
		}
	} else {
		fmt.Fprintf(b, "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (id) ON DELETE CASCADE;\n", t.name, con, col, ref.name)
	}
	t.cols = append(t.cols, col)
	return "fk_" + t.name + "_" + ref.name, b.String()
}

func (g *gen) backfill(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	if c == "id" {
		c = "updated_at"
	}
	if g.chance(0.5) {
		b.WriteString("-- lockstep:phase backfill\n-- lockstep:batch key=id size=5000\n")
	}
	switch g.r.IntN(3) {
	case 0:
		fmt.Fprintf(b, "UPDATE %s SET %s = DEFAULT WHERE %s IS NULL;\n", t.name, c, c)
	case 1:
		fmt.Fprintf(b, "UPDATE %s SET %s = %s WHERE id BETWEEN %d AND %d;\n", t.name, c, c, g.r.IntN(1000), 1000+g.r.IntN(100000))
	default:
		fmt.Fprintf(b, "DELETE FROM %s WHERE created_at < now() - interval '%d days';\n", t.name, 30+g.r.IntN(700))
	}
	return "backfill_" + t.name, b.String()
}

func (g *gen) doBlock(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	if c == "id" {
		c = "updated_at"
	}
	switch g.r.IntN(3) {
	case 0:
		fmt.Fprintf(b, `DO $$
DECLARE
  r record;
  n integer := 0;
BEGIN
  FOR r IN SELECT id FROM %[1]s WHERE %[2]s IS NULL LOOP
    UPDATE %[1]s SET %[2]s = DEFAULT WHERE id = r.id;
    n := n + 1;
  END LOOP;
  RAISE NOTICE 'updated %% rows', n;
END
$$;
`, t.name, c)
	case 1:
		col := g.newName("flag")
		fmt.Fprintf(b, `DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = '%[1]s' AND column_name = '%[2]s') THEN
    ALTER TABLE %[1]s ADD COLUMN %[2]s boolean;
  END IF;
END
$$;
`, t.name, col)
		t.cols = append(t.cols, col)
	default:
		fmt.Fprintf(b, `DO $body$
BEGIN
  EXECUTE 'ANALYZE %[1]s';
  PERFORM pg_sleep(0);
END
$body$ LANGUAGE plpgsql;
`, t.name)
	}
	return "do_" + t.name, b.String()
}

func (g *gen) rename(b *strings.Builder) (string, string) {
	t := g.table()
	if g.chance(0.7) && len(t.cols) > 2 {
		i := 1 + g.r.IntN(len(t.cols)-1)
		old := t.cols[i]
		nu := g.newName(old)
		fmt.Fprintf(b, "ALTER TABLE %s RENAME COLUMN %s TO %s;\n", t.name, old, nu)
		t.cols[i] = nu
		delete(t.indexed, old)
		return "rename_" + old, b.String()
	}
	nu := g.newName(t.name)
	fmt.Fprintf(b, "ALTER TABLE %s RENAME TO %s;\n", t.name, nu)
	t.name = nu
	return "rename_table_" + nu, b.String()
}

func (g *gen) enum(b *strings.Builder) (string, string) {
	if len(g.enums) == 0 || g.chance(0.4) {
		name := g.newName("status")
		fmt.Fprintf(b, "CREATE TYPE %s AS ENUM ('new', 'active', 'closed');\n", name)
		g.enums = append(g.enums, name)
		if g.chance(0.5) {
			t := g.table()
			col := g.newName("state")
			fmt.Fprintf(b, "ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT 'new';\n", t.name, col, name)
			t.cols = append(t.cols, col)
		}
		return "enum_" + name, b.String()
	}
	e := g.pick(g.enums)
	fmt.Fprintf(b, "ALTER TYPE %s ADD VALUE IF NOT EXISTS '%s';\n", e, g.newName("v"))
	return "enum_value_" + e, b.String()
}

func (g *gen) changeType(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	b.WriteString("SET lock_timeout = '2s';\nSET statement_timeout = '30s';\n")
	to := g.pick([]string{"bigint", "text", "varchar(500)", "numeric(14,2)", "timestamptz"})
	fmt.Fprintf(b, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s;\n", t.name, c, to, c, to)
	return "retype_" + t.name + "_" + c, b.String()
}

func (g *gen) dropColumn(b *strings.Builder) (string, string) {
	t := g.table()
	if len(t.cols) < 3 {
		return g.addColumn(b)
	}
	i := 1 + g.r.IntN(len(t.cols)-1)
	c := t.cols[i]
	t.cols = append(t.cols[:i], t.cols[i+1:]...)
	if g.chance(0.5) {
		b.WriteString("-- lockstep:phase contract\n")
	}
	fmt.Fprintf(b, "ALTER TABLE %s DROP COLUMN IF EXISTS %s;\n", t.name, c)
	return "drop_" + c, b.String()
}

func (g *gen) notNull(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	con := g.newName(t.name + "_" + c + "_not_null")
	if g.chance(0.5) {
		fmt.Fprintf(b, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n", t.name, con, c)
		fmt.Fprintf(b, "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n", t.name, con)
	}
	fmt.Fprintf(b, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", t.name, c)
	return "not_null_" + c, b.String()
}

func (g *gen) function(b *strings.Builder) (string, string) {
	t := g.table()
	fn := g.newName("touch_" + t.name)
	fmt.Fprintf(b, `CREATE OR REPLACE FUNCTION %[1]s() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
CREATE TRIGGER %[1]s_trg BEFORE UPDATE ON %[2]s FOR EACH ROW EXECUTE FUNCTION %[1]s();
`, fn, t.name)
	return "trigger_" + fn, b.String()
}

func (g *gen) checkConstraint(b *strings.Builder) (string, string) {
	t := g.table()
	c := g.col(t)
	con := g.newName(t.name + "_check")
	b.WriteString("SET lock_timeout = '2s';\n")
	if g.chance(0.5) {
		fmt.Fprintf(b, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL);\n", t.name, con, c)
	} else {
		fmt.Fprintf(b, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n", t.name, con, c)
	}
	return "check_" + t.name, b.String()
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
