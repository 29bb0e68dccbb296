// Package lint finds the statements of PostgreSQL migrations that would break
// the old or the new release of an application during a zero-downtime
// deploy, or take a lock that stalls its traffic.
//
// A [Linter] parses each file with pg_query (PostgreSQL's own parser), replays
// the statements of earlier files into an in-memory [Catalog], models how the
// runner (golang-migrate by default) groups statements into transactions, and
// runs every [Rule] over each statement through a [Pass]. Rules report
// [Finding]s; they never print. Writers in this package turn a [Result] into
// text, JSON, SARIF, GitHub annotations, a GitLab Code Quality report or
// reviewdog's rdjson.
//
// The package knows nothing of databases or CI platforms: callers hand it
// files and a [Config] and get findings back.
package lint
