package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lockstep-dev/lockstep/ledger"
	"github.com/lockstep-dev/lockstep/migrator"
)

type releaseOptions struct {
	dbOptions
	commit string
}

func newReleaseCmd(e *env, g *globals) *cobra.Command {
	o := &releaseOptions{}
	c := &cobra.Command{
		Use:   "release",
		Short: "Record a release as fully deployed or rolled back",
		Long: `Record a release's state in the ledger. "deployed" means every instance runs it: that is what
lets the contract migrations of the releases before it run. "rolled-back" means traffic went back
to the previous release; it unlocks nothing. lockstep deploy records both by itself; call these
when another tool does the rollout.`,
		Example: `  lockstep release deployed v1.5.0 --commit "$GITHUB_SHA"
  lockstep release rolled-back v1.5.0`,
	}
	o.register(c, false)
	c.PersistentFlags().StringVar(&o.commit, "commit", "", "the release's commit SHA, recorded with it")
	for _, s := range []struct {
		name  string
		state ledger.ReleaseState
		short string
	}{
		{"deployed", ledger.Deployed, "Record that every instance runs release R (unlocks older releases' contracts)"},
		{"rolled-back", ledger.RolledBack, "Record that release R was rolled back"},
	} {
		c.AddCommand(&cobra.Command{
			Use:     s.name + " R",
			Short:   s.short,
			Example: fmt.Sprintf("  lockstep release %s v1.5.0 --database \"$DATABASE_URL\"", s.name),
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				url, err := o.databaseURL(e)
				if err != nil {
					return err
				}
				l, err := ledger.Open(cmd.Context(), url, ledger.Options{Logger: e.logger(), Now: e.now})
				if err != nil {
					return err
				}
				defer l.Close()
				ch, err := migrator.RecordRelease(cmd.Context(), l, args[0], s.state, actorOf(e, o.actor), o.commit)
				if err != nil {
					return err
				}
				for _, line := range ch.Describe() {
					fmt.Fprintln(e.stdout, line)
				}
				return nil
			},
		})
	}
	return c
}
