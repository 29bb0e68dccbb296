package lint

import (
	"strings"
	"testing"

	pg "github.com/pganalyze/pg_query_go/v6"
)

func TestPartitionCheckSQL(t *testing.T) {
	bound := func(sql string) *pg.PartitionBoundSpec {
		t.Helper()
		res, err := pg.Parse("ALTER TABLE p ATTACH PARTITION c " + sql)
		if err != nil {
			t.Fatal(err)
		}
		return res.Stmts[0].Stmt.GetAlterTableStmt().Cmds[0].GetAlterTableCmd().Def.GetPartitionCmd().Bound
	}
	for _, c := range []struct {
		key   []string
		bound string
		want  string
	}{
		{[]string{"day"}, "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')", `day IS NOT NULL AND day >= '2025-01-01' AND day < '2026-01-01'`},
		{[]string{"day"}, "FOR VALUES FROM (MINVALUE) TO (10)", `day IS NOT NULL AND day < 10`},
		{[]string{"Day"}, "FOR VALUES FROM (1) TO (MAXVALUE)", `"Day" IS NOT NULL AND "Day" >= 1`},
		{[]string{"region"}, "FOR VALUES IN ('eu', 'uk')", `region IS NOT NULL AND region IN ('eu', 'uk')`},
		{[]string{"region"}, "FOR VALUES IN ('eu', NULL)", `(region IS NULL OR region IN ('eu'))`},
		{[]string{"region"}, "FOR VALUES IN (NULL)", `region IS NULL`},
		{[]string{"k"}, "FOR VALUES WITH (MODULUS 4, REMAINDER 1)", ""},
		{[]string{"k"}, "DEFAULT", ""},
		{[]string{"a", "b"}, "FOR VALUES FROM (1, 2) TO (3, 4)", ""},
		{nil, "FOR VALUES FROM (1) TO (2)", ""},
	} {
		if got := partitionCheckSQL(c.key, bound(c.bound)); got != c.want {
			t.Errorf("partitionCheckSQL(%v, %s) = %q; want %q", c.key, c.bound, got, c.want)
		}
	}
}

// fixOf returns the fix of the only finding of a rule, failing otherwise.
func fixOf(t *testing.T, res *Result, rule string) string {
	t.Helper()
	var fixes []string
	for _, f := range res.Findings {
		if f.Rule == rule {
			fixes = append(fixes, f.Fix)
		}
	}
	if len(fixes) != 1 {
		t.Fatalf("%d %s findings, want 1: %v", len(fixes), rule, summary(res))
	}
	return fixes[0]
}

func TestTableRuleFixes(t *testing.T) {
	const partitioned = `CREATE TABLE m (id bigint, day date NOT NULL, tag text) PARTITION BY RANGE (day);
CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE byname (id bigint, name text) PARTITION BY LIST (lower(name));
CREATE TABLE loose (id bigint, day date NOT NULL, name text);
CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
CREATE INDEX accounts_email_idx ON accounts (email);
CREATE TABLE r (id bigint, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE r_other PARTITION OF r DEFAULT;
`
	cfg := func(pgv int) Config { c := DefaultConfig(); c.PGVersion = pgv; return c }
	for _, c := range []struct {
		name, rule, sql string
		pg              int
		want, not       []string
	}{
		{"index on each partition", "index-on-partitioned-table", "CREATE INDEX m_tag_idx ON m (tag);", 15,
			[]string{"CREATE INDEX m_tag_idx ON ONLY m USING btree (tag);",
				"CREATE INDEX CONCURRENTLY IF NOT EXISTS m_2024_tag_idx ON m_2024 USING btree (tag);",
				"ALTER INDEX m_tag_idx ATTACH PARTITION m_2024_tag_idx;",
				"ALTER INDEX m_tag_idx ATTACH PARTITION m_2025_tag_idx;"}, nil},
		{"attach: CHECK from the bound", "attach-partition-without-check",
			"ALTER TABLE m ATTACH PARTITION loose FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');", 15,
			[]string{`ADD CONSTRAINT loose_partition_check CHECK (day IS NOT NULL AND day >= '2026-01-01' AND day < '2027-01-01') NOT VALID;`,
				"VALIDATE CONSTRAINT loose_partition_check;", "DROP CONSTRAINT loose_partition_check;"}, nil},
		{"attach: expression key", "attach-partition-without-check",
			"ALTER TABLE byname ATTACH PARTITION loose FOR VALUES IN ('a');", 15,
			[]string{"<the partition bound as an expression"}, []string{"name IN"}},
		{"partition of a table with a default", "create-partition-scans-default", "CREATE TABLE r_us PARTITION OF r FOR VALUES IN ('us');", 15,
			[]string{"CREATE TABLE r_us (LIKE r INCLUDING ALL);",
				"ALTER TABLE r_other ADD CONSTRAINT r_other_not_r_us CHECK (NOT (region IS NOT NULL AND region IN ('us'))) NOT VALID;",
				"ALTER TABLE r ATTACH PARTITION r_us FOR VALUES IN ('us');"}, nil},
		{"detach concurrently from 14", "detach-partition-non-concurrent", "ALTER TABLE m DETACH PARTITION m_2024;", 14,
			[]string{"ALTER TABLE m DETACH PARTITION m_2024 CONCURRENTLY;", "FINALIZE"}, nil},
		{"detach on 13", "detach-partition-non-concurrent", "ALTER TABLE m DETACH PARTITION m_2024;", 13,
			[]string{"needs PostgreSQL 14", "SET lock_timeout"}, []string{"CONCURRENTLY;"}},
		{"index tablespace from 14", "set-tablespace", "ALTER INDEX accounts_email_idx SET TABLESPACE fast;", 14,
			[]string{"REINDEX (TABLESPACE fast) INDEX CONCURRENTLY accounts_email_idx;"}, nil},
		{"index tablespace on 13", "set-tablespace", "ALTER INDEX accounts_email_idx SET TABLESPACE fast;", 13,
			[]string{"CREATE INDEX CONCURRENTLY accounts_email_idx_new ON accounts (email) TABLESPACE fast;",
				"DROP INDEX CONCURRENTLY accounts_email_idx;", "ALTER INDEX accounts_email_idx_new RENAME TO accounts_email_idx;"}, []string{"REINDEX (TABLESPACE"}},
		{"primary key tablespace on 13", "set-tablespace", "ALTER INDEX accounts_pkey SET TABLESPACE fast;", 13,
			[]string{"CREATE UNIQUE INDEX CONCURRENTLY accounts_pkey_new ON accounts (id) TABLESPACE fast;",
				"DROP CONSTRAINT accounts_pkey, ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_pkey_new;"}, []string{"DROP INDEX"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := mustLint(t, cfg(c.pg), "001_init.up.sql", partitioned, "002_change.up.sql", "SET lock_timeout = '2s';\n"+c.sql+"\n")
			fix := fixOf(t, res, c.rule)
			for _, w := range c.want {
				if !strings.Contains(fix, w) {
					t.Errorf("fix lacks %q:\n%s", w, fix)
				}
			}
			for _, n := range c.not {
				if strings.Contains(fix, n) {
					t.Errorf("fix has %q:\n%s", n, fix)
				}
			}
		})
	}
}

func TestDisableTriggerAllNamesForeignKeys(t *testing.T) {
	res := mustLint(t, DefaultConfig(),
		"001_init.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n",
		"002_load.up.sql", "SET lock_timeout = '2s';\nALTER TABLE orders DISABLE TRIGGER ALL;\n")
	fix := fixOf(t, res, "disable-trigger")
	if want := "orders_user_id_fkey (user_id) REFERENCES users"; !strings.Contains(fix, want) {
		t.Errorf("fix lacks %q:\n%s", want, fix)
	}
}
