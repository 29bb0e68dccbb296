package lint

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

var ruleTransactionNesting = &Rule{
	ID:       "transaction-nesting",
	Severity: Warning,
	Summary:  "BEGIN inside an open transaction, COMMIT or ROLLBACK with none open, or BEGIN ... COMMIT the runner already provides",
	Doc: `PostgreSQL has no nested transactions. A BEGIN inside an open one only warns ("there is already a
transaction in progress"), and the first COMMIT then ends the outer transaction too: whatever
follows runs outside it, although the file reads as if it were protected. A COMMIT or ROLLBACK with
no transaction open only warns ("there is no transaction in progress"), which usually means a BEGIN
is missing and the statements before it committed one by one. SAVEPOINT, RELEASE and ROLLBACK TO
outside BEGIN ... COMMIT fail. golang-migrate's default mode already runs a file of several
statements as one transaction, since it sends the file as one query string: an explicit BEGIN ...
COMMIT around the whole file is redundant (a hint), a COMMIT in the middle commits the first part
and runs the rest in a second transaction, so a failure there leaves the file half applied while
the version is marked dirty, and a ROLLBACK silently discards everything before it while the
version is recorded as applied.`,
	Check: func(p *Pass) {
		ts := p.Node().GetTransactionStmt()
		if ts == nil || p.Stmt.Via != nil {
			return
		}
		switch ts.Kind {
		case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
			switch {
			case p.Tx.Explicit:
				p.Report(Finding{
					Message: fmt.Sprintf("BEGIN inside the transaction opened at line %d: PostgreSQL only warns, and the first COMMIT ends both, so what follows it runs outside any transaction", openedAt(p)),
					Breaks:  BreaksNew,
					Fix:     "-- remove the inner BEGIN and its COMMIT: one transaction, one BEGIN ... COMMIT",
				})
			case p.Tx.MultiQuery:
				commit, after := matchingCommit(p)
				if commit != nil && after == nil && onlySetsBefore(p) {
					p.Report(Finding{
						Severity: Hint,
						Message:  fmt.Sprintf("golang-migrate already runs this file of %d statements as one transaction (it sends the file as one query string): the BEGIN ... COMMIT is redundant", len(p.File.Statements)),
						Fix:      "-- remove BEGIN and COMMIT; the file stays atomic",
					})
					return
				}
				if commit != nil && after != nil {
					p.Report(Finding{
						Message: fmt.Sprintf("golang-migrate already runs this file as one transaction, and the COMMIT at line %d splits it: the statements after it, from line %d, run in a second transaction, so a failure there leaves the file half applied",
							lineOf(p.File.Source, commit.Start), lineOf(p.File.Source, after.Start)),
						Breaks: BreaksNew,
						Fix:    "-- one file, one transaction: remove BEGIN and COMMIT, or move the statements after the COMMIT to a migration file of their own",
					})
				}
			}
		case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
			if p.Tx.Explicit {
				return
			}
			word := "COMMIT"
			if ts.Kind == pg.TransactionStmtKind_TRANS_STMT_ROLLBACK {
				word = "ROLLBACK"
			}
			f := Finding{Breaks: BreaksNew}
			switch {
			case p.Tx.MultiQuery && word == "ROLLBACK":
				f.Severity = Error
				f.Message = "ROLLBACK without BEGIN discards every statement before it in this file (golang-migrate runs the file as one transaction), while golang-migrate records the version as applied"
				f.Fix = "-- remove the ROLLBACK: a migration that must not apply belongs in no file"
			case p.Tx.MultiQuery:
				f.Message = "COMMIT without BEGIN: golang-migrate runs this file as one transaction, so this commits the statements before it and the rest of the file runs in a second transaction; a failure there leaves the file half applied"
				f.Fix = "-- remove the COMMIT, or split the file here into two migration files"
			default:
				f.Message = fmt.Sprintf("%s with no transaction open: PostgreSQL only warns (there is no transaction in progress); a BEGIN is missing, so the statements before it committed one by one", word)
				f.Fix = "-- open the transaction the statements need:\nBEGIN;\n-- ... the statements ...\n" + word + ";"
			}
			p.Report(f)
		case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT, pg.TransactionStmtKind_TRANS_STMT_RELEASE, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
			if p.Tx.Explicit {
				return
			}
			p.Report(Finding{
				Severity: Error,
				Message:  fmt.Sprintf("%s outside BEGIN ... COMMIT fails: savepoints exist only in a transaction block", verb(p)),
				Breaks:   BreaksNew,
				Fix:      "BEGIN;\n" + p.Stmt.Text() + ";\n-- ...\nCOMMIT;",
			})
		}
	},
}

// openedAt returns the line of the BEGIN that opened the transaction the
// statement runs in.
func openedAt(p *Pass) int {
	line := 0
	for _, s := range p.File.Statements {
		if s == p.Stmt {
			break
		}
		if ts := s.Node.GetTransactionStmt(); ts != nil {
			switch ts.Kind {
			case pg.TransactionStmtKind_TRANS_STMT_BEGIN, pg.TransactionStmtKind_TRANS_STMT_START:
				if line == 0 {
					line = lineOf(p.File.Source, s.Start)
				}
			case pg.TransactionStmtKind_TRANS_STMT_COMMIT, pg.TransactionStmtKind_TRANS_STMT_ROLLBACK,
				pg.TransactionStmtKind_TRANS_STMT_PREPARE:
				line = 0
			}
		}
	}
	return line
}

// matchingCommit finds the COMMIT (or ROLLBACK) that closes the BEGIN of
// the pass, and the first statement after it, if any.
func matchingCommit(p *Pass) (commit, after *Statement) {
	seen := false
	for _, s := range p.File.Statements {
		if commit != nil {
			return commit, s
		}
		if s == p.Stmt {
			seen = true
			continue
		}
		if !seen {
			continue
		}
		if ts := s.Node.GetTransactionStmt(); ts != nil && (ts.Kind == pg.TransactionStmtKind_TRANS_STMT_COMMIT ||
			ts.Kind == pg.TransactionStmtKind_TRANS_STMT_ROLLBACK || ts.Kind == pg.TransactionStmtKind_TRANS_STMT_PREPARE) {
			commit = s
		}
	}
	return commit, nil
}

// onlySetsBefore reports whether nothing but SET statements come before the
// pass's statement.
func onlySetsBefore(p *Pass) bool {
	for _, s := range p.File.Statements {
		if s == p.Stmt {
			return true
		}
		if s.Node.GetVariableSetStmt() == nil {
			return false
		}
	}
	return true
}
