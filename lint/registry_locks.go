package lint

// lockRules: statements that take a lock that stalls traffic, or scan or
// rewrite a table while holding one.
var lockRules = []*Rule{
	ruleCreateIndexNonConcurrent,
	ruleChangeColumnType,
	ruleUnbatchedBackfill,
}
