package deployer

import (
	"math"
	"sort"
)

// Alternative is the alternative hypothesis of a one- or two-sided test.
type Alternative int

const (
	// Greater: the first sample (the candidate) tends to be larger.
	Greater Alternative = iota
	// Less: the first sample tends to be smaller.
	Less
	// TwoSided: the samples differ in either direction.
	TwoSided
)

// MannWhitneyResult is the outcome of a Mann-Whitney U test of x against y.
type MannWhitneyResult struct {
	// U counts the pairs (xi, yj) with xi > yj, ties counting one half.
	U float64
	// P is the p-value under the alternative.
	P float64
	// Z is the normal approximation's statistic (0 when Exact).
	Z float64
	// Exact says P comes from the exact distribution of U (small samples
	// without ties) rather than the tie-corrected normal approximation.
	Exact bool
	// Shift is the Hodges-Lehmann estimate of the shift of x over y: the
	// median of all differences xi - yj.
	Shift float64
}

// exactLimit is the largest len(x)+len(y) for which the exact distribution
// is computed.
const exactLimit = 40

// MannWhitney tests whether x and y come from the same distribution
// (Wilcoxon rank-sum), as Kayenta's judge does for a canary (x) against its
// baseline (y). It needs at least one value in each sample; otherwise P is 1.
func MannWhitney(x, y []float64, alt Alternative) MannWhitneyResult {
	m, n := len(x), len(y)
	if m == 0 || n == 0 {
		return MannWhitneyResult{P: 1}
	}
	var u float64
	ties := false
	diffs := make([]float64, 0, m*n)
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
				ties = true
			}
			diffs = append(diffs, a-b)
		}
	}
	res := MannWhitneyResult{U: u, Shift: median(diffs)}
	if !ties {
		ties = hasTies(append(append([]float64(nil), x...), y...))
	}
	if !ties && m+n <= exactLimit {
		res.Exact = true
		dist := uDistribution(m, n)
		total := 0.0
		for _, c := range dist {
			total += c
		}
		k := int(u)
		ge, le := 0.0, 0.0
		for i, c := range dist {
			if i >= k {
				ge += c
			}
			if i <= k {
				le += c
			}
		}
		switch alt {
		case Greater:
			res.P = ge / total
		case Less:
			res.P = le / total
		default:
			res.P = math.Min(1, 2*math.Min(ge, le)/total)
		}
		return res
	}
	// Normal approximation with the tie correction and a continuity
	// correction of one half.
	all := append(append([]float64(nil), x...), y...)
	N := float64(m + n)
	mean := float64(m*n) / 2
	variance := float64(m*n) / 12 * ((N + 1) - tieSum(all)/(N*(N-1)))
	if variance <= 0 {
		res.P = 1
		return res
	}
	sd := math.Sqrt(variance)
	upper := func(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) } // P(Z >= z)
	switch alt {
	case Greater:
		res.Z = (u - mean - 0.5) / sd
		res.P = upper(res.Z)
	case Less:
		res.Z = (u - mean + 0.5) / sd
		res.P = 1 - upper(res.Z)
	default:
		res.Z = (math.Abs(u-mean) - 0.5) / sd
		res.P = math.Min(1, 2*upper(res.Z))
	}
	return res
}

// uDistribution returns the number of arrangements of m x's and n y's
// giving each U = 0..m*n: f(m,n,u) = f(m-1,n,u-n) + f(m,n-1,u), by whether
// the largest value is an x (beating all n y's) or a y.
func uDistribution(m, n int) []float64 {
	// f[i][j] is the distribution for i x's and j y's.
	f := make([][][]float64, m+1)
	for i := range f {
		f[i] = make([][]float64, n+1)
		for j := range f[i] {
			d := make([]float64, i*j+1)
			if i == 0 || j == 0 {
				d[0] = 1
			} else {
				for u := range d {
					if u-j >= 0 && u-j < len(f[i-1][j]) {
						d[u] += f[i-1][j][u-j]
					}
					if u < len(f[i][j-1]) {
						d[u] += f[i][j-1][u]
					}
				}
			}
			f[i][j] = d
		}
	}
	return f[m][n]
}

func hasTies(v []float64) bool {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	for i := 1; i < len(s); i++ {
		if s[i] == s[i-1] {
			return true
		}
	}
	return false
}

// tieSum is the sum of t^3 - t over groups of t equal values.
func tieSum(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	sum := 0.0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		t := float64(j - i)
		sum += t*t*t - t
		i = j
	}
	return sum
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	h := len(s) / 2
	if len(s)%2 == 1 {
		return s[h]
	}
	return (s[h-1] + s[h]) / 2
}
