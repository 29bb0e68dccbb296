package lint

import "testing"

func TestParseMigrationName(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version uint64
		title   string
		dir     Direction
		ok      bool
	}{
		{"001_init.up.sql", 1, "init", Up, true},
		{"20240105090000_create_users.down.sql", 20240105090000, "create_users", Down, true},
		{"7_.up.sql", 7, "", Up, true},
		{"3_x.down.up.sql", 3, "x.down", Up, true},
		{"3_a_b.c.down.sql", 3, "a_b.c", Down, true},
		{"init.up.sql", 0, "", "", false},
		{"_x.up.sql", 0, "", "", false},
		{"12x_y.up.sql", 0, "", "", false},
		{"1_x.sql", 0, "", "", false},
		{"1_x.up.SQL", 0, "", "", false},
		{"1.up.sql", 0, "", "", false},
		{"99999999999999999999_x.up.sql", 0, "", "", false}, // overflows uint64
	} {
		v, title, dir, ok := ParseMigrationName(tc.name)
		if v != tc.version || title != tc.title || dir != tc.dir || ok != tc.ok {
			t.Errorf("ParseMigrationName(%q) = %d, %q, %q, %v; want %d, %q, %q, %v", tc.name, v, title, dir, ok, tc.version, tc.title, tc.dir, tc.ok)
		}
	}
}
