package lint

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMixedPhaseFileFix checks that the fix of mixed-phase-file lists the
// statements of each phase, file by file in deploy order, with their lines.
func TestMixedPhaseFileFix(t *testing.T) {
	const init = "CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text, plan text NOT NULL DEFAULT 'free');\n"
	tests := []struct {
		name    string
		files   []string // path, text, ...
		message string
		fix     string
	}{
		{
			name: "interleaved",
			files: []string{
				"m/001_init.up.sql", init,
				"m/002_change.up.sql", `SET lock_timeout = '2s';
BEGIN;
ALTER TABLE users ADD COLUMN email_lower text;
ALTER TABLE users DROP COLUMN legacy;
ALTER TABLE users ADD CONSTRAINT email_lower_len CHECK (length(email_lower) < 300) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT email_lower_len;
UPDATE users SET email_lower = lower(email) WHERE id BETWEEN 1 AND 1000;
COMMIT;
`,
				"m/003_later.up.sql", "ALTER TABLE users ADD COLUMN note text;\n",
			},
			message: "this file mixes expand (lines 3, 5), contract (line 4), backfill (line 7): each phase must run at a different moment of the deploy",
			fix: `-- split into 3 files, run in this order (lockstep migrate runs each at its moment of the deploy):
-- (version 003 is taken by a later file: renumber the files after this one to make room)

-- file 1: 002_change.up.sql (this file)
-- lockstep:phase expand
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN email_lower text; -- line 3
ALTER TABLE users ADD CONSTRAINT email_lower_len CHECK (length(email_lower) < 300) NOT VALID; -- line 5
ALTER TABLE users VALIDATE CONSTRAINT email_lower_len; -- line 6

-- file 2: 003_change_backfill.up.sql (new)
-- lockstep:phase backfill
SET lock_timeout = '2s';
UPDATE users SET email_lower = lower(email) WHERE id BETWEEN 1 AND 1000; -- line 7

-- file 3: 004_change_contract.up.sql (new)
-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN legacy; -- line 4
-- (this runs after statements that the file has after line 4: check that it does not depend on them)`,
		},
		{
			name: "do block",
			files: []string{
				"m/001_init.up.sql", init,
				"m/20240102030405_nick.up.sql", `SET lock_timeout = '2s';
DO $$
BEGIN
  ALTER TABLE users ADD COLUMN nick text;
  UPDATE users SET nick = email WHERE id BETWEEN 1 AND 100;
END
$$;
ALTER TABLE users ALTER COLUMN plan DROP DEFAULT;
`,
			},
			message: "this file mixes expand (line 4), backfill (line 5), contract (line 8): each phase must run at a different moment of the deploy (inside the DO block at line 2)",
			fix: `-- split into 3 files, run in this order (lockstep migrate runs each at its moment of the deploy):

-- file 1: 20240102030405_nick.up.sql (this file)
-- lockstep:phase expand
SET lock_timeout = '2s';
-- from the DO block at line 2:
ALTER TABLE users ADD COLUMN nick text; -- line 4

-- file 2: 20240102030406_nick_backfill.up.sql (new)
-- lockstep:phase backfill
SET lock_timeout = '2s';
-- from the DO block at line 2:
UPDATE users SET nick = email WHERE id BETWEEN 1 AND 100; -- line 5

-- file 3: 20240102030407_nick_contract.up.sql (new)
-- lockstep:phase contract
SET lock_timeout = '2s';
ALTER TABLE users ALTER COLUMN plan DROP DEFAULT; -- line 8`,
		},
		{
			name: "single file",
			files: []string{
				"change.sql", `CREATE TABLE audit (id bigint PRIMARY KEY);
SET lock_timeout = '2s';
DROP TABLE sessions;
`,
			},
			message: "this file mixes expand (line 1), contract (line 3): each phase must run at a different moment of the deploy",
			fix: `-- split into 2 files, run in this order (lockstep migrate runs each at its moment of the deploy):

-- file 1: change.sql (this file)
-- lockstep:phase expand
CREATE TABLE audit (id bigint PRIMARY KEY); -- line 1

-- file 2: change_contract.sql (new)
-- lockstep:phase contract
SET lock_timeout = '2s';
DROP TABLE sessions; -- line 3`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustLint(t, DefaultConfig(), tt.files...)
			var got []Finding
			for _, f := range res.Findings {
				if f.Rule == ruleMixedPhaseFile.ID {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("mixed-phase-file findings = %d; want 1: %+v", len(got), got)
			}
			if got[0].Message != tt.message {
				t.Errorf("message = %q; want %q", got[0].Message, tt.message)
			}
			if d := cmp.Diff(tt.fix, got[0].Fix); d != "" {
				t.Errorf("fix differs (-want +got):\n%s", d)
			}
		})
	}
}
