package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/internal/fault"
	"github.com/lockstep-dev/lockstep/lint"
)

func newRulesCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "rules [rule-id]",
		Short: "List the lint rules, or explain one",
		Example: `  lockstep rules
  lockstep rules set-not-null`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				r := lint.RuleByID(args[0])
				if r == nil {
					return fault.Errorf(fault.Usage, "unknown rule %q (lockstep rules lists them)", args[0])
				}
				fmt.Fprintf(e.stdout, "%s (%s)\n\n%s\n\n%s\n\n%s\n", r.ID, r.Severity, r.Summary, r.Doc, r.DocURL())
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tSEVERITY\tSUMMARY")
			for _, r := range lint.Rules() {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Severity, r.Summary)
			}
			return tw.Flush()
		},
	}
}

func newSchemaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of lockstep.yaml",
		Long: `Print the JSON Schema that lockstep.yaml is validated with. Editors complete and check the file
with it; point yours at it with a first line like
  # yaml-language-server: $schema=` + schemaID,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := assembleSchema()
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(e.stdout, strings.TrimRight(string(s), "\n")+"\n")
			return err
		},
	}
}
