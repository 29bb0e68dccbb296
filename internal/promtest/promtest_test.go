package promtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHistoryIsQueryable(t *testing.T) {
	end := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	var om strings.Builder
	om.WriteString("# TYPE requests counter\n")
	for ts := end.Add(-2 * time.Hour); !ts.After(end); ts = ts.Add(time.Minute) {
		n := ts.Sub(end.Add(-2*time.Hour)).Minutes() * 60 // 1 request per second
		fmt.Fprintf(&om, "requests_total{code=\"200\"} %g %d\n", n, ts.Unix())
	}
	om.WriteString("# EOF\n")
	s := Start(t, Options{OpenMetrics: om.String()})
	q := url.Values{"query": {"sum(rate(requests_total[10m]))"}, "time": {fmt.Sprint(end.Unix())}}
	resp, err := http.Get(s.URL + "/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Data.Result) != 1 {
		t.Fatalf("result = %+v; want one sample", body.Data)
	}
	if got := body.Data.Result[0].Value[1]; got != "1" {
		t.Errorf("rate = %v; want 1", got)
	}
}
