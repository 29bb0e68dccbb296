package migrator

import (
	"database/sql"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	_ "github.com/golang-migrate/migrate/v4/source/file"
)

// checkGolangMigrate points golang-migrate's own library, as its CLI does,
// at the database and the directory, and checks it sees version want and
// no dirty flag in table.
func checkGolangMigrate(t *testing.T, f *fixture, table string, want uint) {
	t.Helper()
	u, err := url.Parse(f.url)
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "pgx5"
	q := u.Query()
	if table != "schema_migrations" {
		q.Set("x-migrations-table", table)
	}
	u.RawQuery = q.Encode()
	m, err := migrate.New("file://"+f.dir, u.String())
	if err != nil {
		t.Fatalf("golang-migrate: %v", err)
	}
	defer m.Close()
	v, dirty, err := m.Version()
	if err != nil || v != want || dirty {
		t.Fatalf("golang-migrate Version() on %s = %d, dirty=%v, %v; want %d, clean", table, v, dirty, err, want)
	}
}

// pgxDB opens a database/sql handle, for golang-migrate's driver.
func pgxDB(dbURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	return stdlib.OpenDB(*cfg), nil
}
