package lint

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// planFixLine is the first line of a fix that lockstep plan can write: the
// command, each argument spelled as SQL and quoted for a POSIX shell, then
// what it writes. args are already SQL text (identifiers quoted where they
// need it); flags are name, value pairs ("--name", "x"), value "" omitted.
func planFixLine(kind string, args []string, flags ...string) string {
	parts := []string{"-- lockstep plan", kind}
	for _, a := range args {
		parts = append(parts, shellWord(a))
	}
	for i := 0; i+1 < len(flags); i += 2 {
		if flags[i+1] != "" {
			parts = append(parts, flags[i], shellWord(flags[i+1]))
		}
	}
	return strings.Join(parts, " ") + " writes these files:\n"
}

// planColumnArg spells TABLE.COL (SCHEMA.TABLE.COL outside public) as plan
// parses it.
func planColumnArg(rv *pg.RangeVar, col string) string {
	return rvSQL(rv) + "." + identSQL(col)
}

// shellWord quotes s for a POSIX shell: bare when it is plain, in double
// quotes when it holds a single quote but nothing double quotes expand, in
// single quotes otherwise.
func shellWord(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._,-=/:+@%", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	if strings.Contains(s, "'") && !strings.ContainsAny(s, "\"$`\\!") {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
