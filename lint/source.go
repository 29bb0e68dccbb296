package lint

import (
	"sort"
	"unicode/utf8"
)

// Source is the text of one migration file with an index of its lines, to
// turn pg_query's byte offsets into line and character positions.
type Source struct {
	// Path is the file's path as reported (relative to the working directory
	// when the user gave a relative path).
	Path string
	Text string
	// lines holds the byte offset at which each line starts.
	lines []int
}

// NewSource indexes text.
func NewSource(path, text string) *Source {
	s := &Source{Path: path, Text: text, lines: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// Position converts a byte offset to a 1-based line and a 1-based column
// counted in characters. Offsets past the end clamp to the end.
func (s *Source) Position(off int) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > len(s.Text) {
		off = len(s.Text)
	}
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return i + 1, utf8.RuneCountInString(s.Text[s.lines[i]:off]) + 1
}

// Span converts the byte range [start, end) into a Pos whose end is the
// last character of the range.
func (s *Source) Span(start, end int) Pos {
	if end <= start {
		end = start + 1
	}
	if end > len(s.Text) {
		end = len(s.Text)
	}
	// Do not let a span end on trailing whitespace or a newline.
	for end > start+1 && isSpace(s.Text[end-1]) {
		end--
	}
	l, c := s.Position(start)
	last := end - 1
	for last > start && !utf8.RuneStart(s.Text[last]) {
		last--
	}
	el, ec := s.Position(last)
	return Pos{File: s.Path, Line: l, Col: c, EndLine: el, EndCol: ec}
}

// LineText returns line n (1-based) without its newline.
func (s *Source) LineText(n int) string {
	if n < 1 || n > len(s.lines) {
		return ""
	}
	start := s.lines[n-1]
	end := len(s.Text)
	if n < len(s.lines) {
		end = s.lines[n] - 1
	}
	if end > start && s.Text[end-1] == '\r' {
		end--
	}
	return s.Text[start:end]
}

// LineOffset returns the byte offset at which line n (1-based) starts.
func (s *Source) LineOffset(n int) int {
	if n < 1 {
		return 0
	}
	if n > len(s.lines) {
		return len(s.Text)
	}
	return s.lines[n-1]
}

// Lines is the number of lines.
func (s *Source) Lines() int { return len(s.lines) }

// ByteOffsetOfChar converts a 1-based character position (as pg_query's
// Cursorpos counts) to a byte offset.
func (s *Source) ByteOffsetOfChar(pos int) int {
	off := 0
	for i := 1; i < pos && off < len(s.Text); i++ {
		_, n := utf8.DecodeRuneInString(s.Text[off:])
		off += n
	}
	return off
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
