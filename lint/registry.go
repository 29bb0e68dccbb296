package lint

// registry lists the rules with checks, one file each (rule_<id>.go).
// Rules() adds the meta rules and sorts. The groups are kept apart so that
// each can grow without touching the others.
var registry = concat(coreRules, lockRules, tableRules, columnRules, compatRules, hygieneRules)

func concat(groups ...[]*Rule) []*Rule {
	var out []*Rule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// coreRules: transactions, timeouts, phases, what the linter cannot see.
var coreRules = []*Rule{
	ruleConcurrentInTransaction,
	ruleMissingLockTimeout,
	ruleMixedPhaseFile,
	rulePhaseMismatch,
	ruleOpaqueSQL,
}
