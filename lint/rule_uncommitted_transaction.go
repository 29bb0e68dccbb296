package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleUncommittedTransaction = &Rule{
	ID:       "uncommitted-transaction",
	Severity: Error,
	Summary:  "a BEGIN that the file never commits (or ends with ROLLBACK)",
	Doc: `A file that opens a transaction and never commits it leaves the outcome to whoever uses the
connection next: golang-migrate happens to commit it together with its own version bookkeeping,
psql and most other runners roll it back when they disconnect, and until then every lock the file
took is held, blocking the table's traffic. A transaction that ends in ROLLBACK discards the file's
changes while the runner records the migration as applied, and PREPARE TRANSACTION leaves a
prepared transaction holding its locks until someone runs COMMIT PREPARED. End the transaction the
file opens with COMMIT, or drop BEGIN: golang-migrate runs a file of several statements as one
transaction anyway.`,
	CheckFile: func(p *FilePass) {
		var open *Statement
		for _, s := range p.File.Statements {
			ts := s.Node.GetTransactionStmt()
			if ts == nil {
				continue
			}
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
				if open == nil {
					open = s
				}
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
				open = nil
			case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
				if open != nil {
					p.Report(s, Finding{
						Message: fmt.Sprintf("the transaction opened at line %d ends with ROLLBACK: its changes are discarded while the runner records the migration as applied", lineOf(p.File.Source, open.Start)),
						Breaks:  BreaksNew,
						Fix:     "COMMIT;",
					})
				}
				open = nil
			case pg.TransactionStmtKind_TRANS_STMT_PREPARE:
				p.Report(s, Finding{
					Message: "PREPARE TRANSACTION leaves a prepared transaction that holds every lock the file took until someone runs COMMIT PREPARED",
					Breaks:  BreaksAvailability,
					Fix:     "COMMIT;",
				})
				open = nil
			}
		}
		if open != nil {
			p.Report(open, Finding{
				Message: fmt.Sprintf("BEGIN at line %d is never committed: what becomes of the file's changes depends on the runner (golang-migrate happens to commit them with its version bookkeeping, psql rolls them back), and its locks are held until then",
					lineOf(p.File.Source, open.Start)),
				Breaks: BreaksNew,
				Fix:    "-- end the file with\nCOMMIT;",
			})
		}
	},
}
