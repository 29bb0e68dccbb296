package gates

import (
	"encoding/json"
	"testing"
	"time"
)

func TestEstimateJSONInSeconds(t *testing.T) {
	e := Estimate{Duration: 90 * time.Second, Parts: []EstimatePart{{What: "canary steps", Duration: 1500 * time.Millisecond}}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"duration_seconds":90,"parts":[{"what":"canary steps","duration_seconds":1.5}]}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}
