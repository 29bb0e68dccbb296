package local

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lockstep-dev/lockstep/report"
	"github.com/lockstep-dev/lockstep/report/diff"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestPublish(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	d := diff.New()
	d.AddPatch("", "m/002.sql", "@@ -0,0 +1,2 @@\n+CREATE INDEX i ON t (c);\n+SELECT 1;\n")
	p := New(dir, Options{Diff: d, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	ctx := context.Background()
	lint := &report.Report{
		Annotations: []report.Annotation{
			{Path: "m/002.sql", Line: 1, Level: report.LevelError, Rule: "create-index-non-concurrent", Title: "blocks writes",
				Body: "- **Lock:** SHARE on `t`", Suggestion: "CREATE INDEX CONCURRENTLY i ON t (c);"},
			{Path: "m/001.sql", Line: 4, Level: report.LevelWarning, Rule: "r", Title: "old file"},
		},
		ReviewStage: report.StageLint,
		Sections:    []report.Section{{Stage: report.StageLint, State: report.StateFailure, Summary: "1 error, 1 warning"}},
		Statuses:    []report.Status{{Stage: report.StageLint, State: report.StateFailure, Description: "1 error"}},
		Outputs:     report.Outputs{"findings": "2", "errors": "1"},
	}
	gate := &report.Report{
		Sections: []report.Section{{Stage: report.StageGate, State: report.StateSuccess, Summary: "open"}},
		Statuses: []report.Status{{Stage: report.StageGate, State: report.StateSuccess, Description: "open"}},
		Outputs:  report.Outputs{"open": "true", "errors": "0"},
	}
	if err := p.Publish(ctx, gate); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, lint); err != nil {
		t.Fatal(err)
	}
	id, err := p.StartDeployment(ctx, report.Deployment{Environment: "staging", Release: "v2", Ref: "abc", Description: "canary"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetDeploymentState(ctx, id, report.DeploySuccess, "promoted", ""); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range p.Files() {
		names = append(names, filepath.Base(f))
	}
	want := []string{AnnotationsFile, DeploymentsFile, SummaryFile, OutputsFile, ReviewFile, StatusesFile, StickyFile}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var all strings.Builder
	for _, n := range want {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString("==> " + n + " <==\n" + string(b) + "\n")
	}
	golden := filepath.Join("testdata", "publish.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, []byte(all.String()), 0o644)
	}
	wantAll, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./report/local -update)", err)
	}
	if diff := cmp.Diff(string(wantAll), all.String()); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	sticky, _ := os.ReadFile(filepath.Join(dir, StickyFile))
	if strings.Index(string(sticky), "section=lint") > strings.Index(string(sticky), "section=gate") {
		t.Error("lint's section is not before gate's")
	}
	outs, _ := os.ReadFile(filepath.Join(dir, OutputsFile))
	if string(outs) != "errors=1\nfindings=2\nopen=true\n" {
		t.Errorf("outputs = %q; want merged, lint's errors winning", outs)
	}
}
