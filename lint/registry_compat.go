package lint

// compatRules: changes that break the old or the new release.
var compatRules = []*Rule{
	ruleDropColumn,
	ruleSetNotNull,
}
