package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Body limits of the places lockstep writes markdown, in bytes (the
// platforms count characters; a byte count never exceeds them).
const (
	// GitHubCommentLimit is the largest issue or review comment body GitHub accepts.
	GitHubCommentLimit = 65536
	// GitLabNoteLimit is the largest note body GitLab accepts.
	GitLabNoteLimit = 1000000
	// StepSummaryLimit is the largest job summary GitHub shows for one step.
	StepSummaryLimit = 1 << 20
	// DescriptionLimit is the longest status or deployment status
	// description, in characters.
	DescriptionLimit = 140
)

// Title is the stage's display name.
func (s Stage) Title() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// order is the stage's place in Stages; unknown stages sort last.
func (s Stage) order() int {
	if i := slices.Index(Stages, s); i >= 0 {
		return i
	}
	return len(Stages)
}

// Icon is the emoji a state is shown with.
func (s State) Icon() string {
	switch s {
	case StateSuccess:
		return "✅"
	case StateFailure:
		return "❌"
	case StateError:
		return "⚠️"
	case StateRunning:
		return "🔄"
	}
	return "⏳"
}

// Icon is the emoji a level is shown with.
func (l Level) Icon() string {
	switch l {
	case LevelError:
		return "🛑"
	case LevelWarning:
		return "⚠️"
	}
	return "ℹ️"
}

// StickyMarker is the hidden line that identifies lockstep's sticky comment.
// id tells several lockstep setups in one repository apart ("" for one).
func StickyMarker(id string) string {
	if id == "" {
		return "<!-- lockstep:sticky -->"
	}
	return "<!-- lockstep:sticky id=" + sanitizeID(id) + " -->"
}

// IsSticky reports whether body is the sticky comment with that id.
func IsSticky(body, id string) bool {
	first, _, _ := strings.Cut(body, "\n")
	return strings.TrimSpace(first) == StickyMarker(id)
}

func sanitizeID(id string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r == '/' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, id)
}

func sectionStart(s Stage) string { return "<!-- lockstep:section=" + string(s) + " -->" }
func sectionEnd(s Stage) string   { return "<!-- lockstep:/section=" + string(s) + " -->" }

var sectionStartRE = regexp.MustCompile(`<!-- lockstep:section=([a-z0-9_-]+) -->`)

// block is one stage's rendered part of the sticky comment, markers included.
type block struct {
	stage Stage
	text  string
}

// RenderSection renders one stage's part of the sticky comment: a one-line
// status and the details folded below it.
func RenderSection(s Section) string {
	var b strings.Builder
	b.WriteString(sectionStart(s.Stage) + "\n")
	fmt.Fprintf(&b, "%s **%s**", s.State.Icon(), s.Stage.Title())
	if s.Summary != "" {
		b.WriteString(": " + oneLine(s.Summary))
	}
	if s.URL != "" {
		fmt.Fprintf(&b, " · [run](%s)", s.URL)
	}
	b.WriteString("\n")
	if md := strings.TrimSpace(s.Markdown); md != "" {
		b.WriteString("<details><summary>Details</summary>\n\n" + md + "\n\n</details>\n\n")
	}
	b.WriteString(sectionEnd(s.Stage))
	return b.String()
}

// MergeSticky returns the sticky comment's new body: the sections already in
// existing (a previous body, or "") with those in sections replaced or
// added, in stage order, kept under limit bytes by truncating the longest
// details. Other stages' sections are kept as they were.
func MergeSticky(existing string, sections []Section, id string, limit int) string {
	blocks := parseBlocks(existing)
	for _, s := range sections {
		nb := block{s.Stage, RenderSection(s)}
		if i := slices.IndexFunc(blocks, func(b block) bool { return b.stage == s.Stage }); i >= 0 {
			blocks[i] = nb
		} else {
			blocks = append(blocks, nb)
		}
	}
	slices.SortStableFunc(blocks, func(a, b block) int { return a.stage.order() - b.stage.order() })
	head := StickyMarker(id) + "\n### lockstep"
	render := func() string {
		parts := []string{head}
		for _, b := range blocks {
			parts = append(parts, b.text)
		}
		// Blank lines between blocks: an HTML block (</details>) runs
		// until one, and would swallow the next status line's markdown.
		return strings.Join(parts, "\n\n") + "\n"
	}
	body := render()
	for len(body) > limit {
		// Cut the longest block by what is over, plus room for the note.
		i := 0
		for j := range blocks {
			if len(blocks[j].text) > len(blocks[i].text) {
				i = j
			}
		}
		over := len(body) - limit
		keep := len(blocks[i].text) - over - len(truncNote) - 64
		if keep < 0 {
			keep = 0
		}
		end := sectionEnd(blocks[i].stage)
		inner := strings.TrimSuffix(blocks[i].text, end)
		if keep >= len(inner) { // cannot shrink further: give up on the block's details
			keep = 0
		}
		blocks[i].text = CutMarkdown(inner, keep) + "\n" + end
		body = render()
		if keep == 0 && len(body) > limit {
			// Even empty blocks do not fit: drop the longest one.
			blocks = slices.Delete(blocks, i, i+1)
			body = render()
		}
	}
	return body
}

const truncNote = "\n\n_… cut to fit the comment size limit: the job summary and the run log have all of it._\n"

// parseBlocks finds the stage sections of a sticky body.
func parseBlocks(body string) []block {
	var out []block
	for _, m := range sectionStartRE.FindAllStringSubmatchIndex(body, -1) {
		stage := Stage(body[m[2]:m[3]])
		end := sectionEnd(stage)
		j := strings.Index(body[m[0]:], end)
		if j < 0 {
			continue
		}
		if slices.ContainsFunc(out, func(b block) bool { return b.stage == stage }) {
			continue
		}
		out = append(out, block{stage, body[m[0] : m[0]+j+len(end)]})
	}
	return out
}

// CutMarkdown shortens md to at most about n bytes at a line boundary,
// closing an open code fence and <details>, and appends a note that it was
// cut. md shorter than n is returned as is.
func CutMarkdown(md string, n int) string {
	if len(md) <= n {
		return md
	}
	cut := md[:n]
	if i := strings.LastIndexByte(cut, '\n'); i >= 0 {
		cut = cut[:i]
	} else {
		cut = ""
	}
	fences := 0
	for _, l := range strings.Split(cut, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fences++
		}
	}
	if fences%2 == 1 {
		cut += "\n```"
	}
	cut += truncNote
	if open := strings.Count(cut, "<details>") - strings.Count(cut, "</details>"); open > 0 {
		cut += strings.Repeat("\n</details>\n", open)
	}
	return cut
}

// fingerprint markers in comment bodies.
var fpRE = regexp.MustCompile(`<!-- lockstep:fp=([0-9a-f]{16}) stage=([a-z0-9_-]+)( outdated)? -->`)

// Marker is the hidden line a comment for annotation a of a stage ends with.
func Marker(a Annotation, stage Stage) string {
	return "<!-- lockstep:fp=" + a.Fingerprint() + " stage=" + string(stage) + " -->"
}

// ParseMarker finds the fingerprint and stage a comment body carries, and
// whether the comment was already marked outdated. ok is false for comments
// lockstep did not write.
func ParseMarker(body string) (fp string, stage Stage, outdated, ok bool) {
	m := fpRE.FindStringSubmatch(body)
	if m == nil {
		return "", "", false, false
	}
	return m[1], Stage(m[2]), m[3] != "", true
}

// CommentOptions shape a review comment for a platform.
type CommentOptions struct {
	// Stage is the stage the comment belongs to (its findings).
	Stage Stage
	// SuggestionFence is the info string of the suggested-change block:
	// "suggestion" on GitHub, "suggestion:-0+N" on GitLab. Empty: no block.
	SuggestionFence string
}

// Comment renders the review comment for an annotation: the level, rule and
// title, the body, the suggested change when there is one, the rule's
// reference and the hidden fingerprint marker.
func Comment(a Annotation, o CommentOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s **%s**", a.Level.Icon(), a.Level)
	if a.Rule != "" {
		fmt.Fprintf(&b, " `%s`", a.Rule)
	}
	if a.Title != "" {
		b.WriteString(": " + oneLine(a.Title))
	}
	b.WriteString("\n")
	if body := strings.TrimSpace(a.Body); body != "" {
		b.WriteString("\n" + body + "\n")
	}
	if a.Suggestion != "" && o.SuggestionFence != "" {
		fence := fenceFor(a.Suggestion)
		fmt.Fprintf(&b, "\nSuggested change:\n%s%s\n%s\n%s\n", fence, o.SuggestionFence, strings.TrimRight(a.Suggestion, "\n"), fence)
	}
	if a.DocURL != "" {
		fmt.Fprintf(&b, "\n[Rule reference](%s)\n", a.DocURL)
	}
	b.WriteString(Marker(a, o.Stage))
	return b.String()
}

// Outdated turns a comment lockstep wrote into one that says its finding is
// gone, keeping the original folded (for comments with replies, which are
// never deleted).
func Outdated(body, commit string) string {
	fp, stage, _, ok := ParseMarker(body)
	if !ok {
		return body
	}
	orig := strings.TrimSpace(fpRE.ReplaceAllString(body, ""))
	at := ""
	if commit != "" {
		at = " as of `" + short(commit) + "`"
	}
	return "✔️ **Resolved:** lockstep no longer finds this" + at + ".\n\n<details><summary>Original comment</summary>\n\n" +
		orig + "\n\n</details>\n<!-- lockstep:fp=" + fp + " stage=" + string(stage) + " outdated -->"
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// fenceFor returns a backtick fence longer than any run of backticks in s.
func fenceFor(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// Summary is the job summary of a report: r.Summary when set, else each
// section in stage order with its details shown, kept under
// StepSummaryLimit.
func Summary(r *Report) string {
	md := r.Summary
	if md == "" {
		secs := slices.Clone(r.Sections)
		slices.SortStableFunc(secs, func(a, b Section) int { return a.Stage.order() - b.Stage.order() })
		var b strings.Builder
		for _, s := range secs {
			fmt.Fprintf(&b, "### %s lockstep %s", s.State.Icon(), s.Stage)
			if s.Summary != "" {
				b.WriteString(": " + oneLine(s.Summary))
			}
			b.WriteString("\n\n")
			if md := strings.TrimSpace(s.Markdown); md != "" {
				b.WriteString(md + "\n\n")
			}
		}
		md = b.String()
	}
	return CutMarkdown(md, StepSummaryLimit-len(truncNote)-32)
}

// Truncate shortens s to at most n characters, ending it with "…" when cut.
func Truncate(s string, n int) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// oneLine folds whitespace runs, newlines included, into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
