package lint

// hygieneRules: choices that hurt later (types, robustness).
var hygieneRules = []*Rule{}
