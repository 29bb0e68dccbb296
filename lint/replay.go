package lint

// Replay parses the inputs in order and returns the schema they leave: the
// catalog a file linted after them would see. Inputs marked Scratch (.down.sql
// files) are skipped, as Lint does. Callers that generate SQL from the schema
// (lockstep plan) use it to learn column types, NOT NULL, defaults,
// constraints and indexes.
//
// Errors: the *SyntaxError of the first file that does not parse.
func Replay(inputs []Input) (*Catalog, error) {
	cat := NewCatalog()
	for _, in := range inputs {
		if in.Scratch {
			continue
		}
		f := Parse(NewSource(in.Path, in.Text))
		if f.Err != nil {
			return nil, f.Err
		}
		for _, s := range f.Statements {
			for _, ns := range s.nested {
				cat.apply(ns, Origin{File: in.Path, Line: lineOf(f.Source, ns.Start), New: in.New})
			}
			cat.apply(s, Origin{File: in.Path, Line: lineOf(f.Source, s.Start), New: in.New})
		}
	}
	return cat, nil
}
