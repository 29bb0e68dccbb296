package lint

// columnRules: column additions and definitions whose cost depends on the
// default, the generation expression or the type.
var columnRules = []*Rule{}
