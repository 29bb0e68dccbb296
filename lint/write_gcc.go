package lint

import (
	"bufio"
	"io"
	"strings"
)

// writeGCC writes one line per finding in the form compilers use,
//
//	file:line:col: error: message [rule-id]
//
// which editors' quickfix and compile modes, grep and errorformat read (the
// name is squawk's for the same format). A message's line breaks become
// spaces, so that a finding never spans lines.
func writeGCC(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	for _, f := range res.Findings {
		bw.WriteString(f.Pos.String())
		bw.WriteString(": ")
		bw.WriteString(sarifLevel(f.Severity)) // GCC's words too: error, warning, note
		bw.WriteString(": ")
		bw.WriteString(strings.Join(strings.Fields(f.Message), " "))
		bw.WriteString(" [")
		bw.WriteString(f.Rule)
		bw.WriteString("]\n")
	}
	return bw.Flush()
}
