package lint

// tableRules: table-level storage, partitioning and trigger changes that
// take a long lock or rewrite the table.
var tableRules = []*Rule{}
