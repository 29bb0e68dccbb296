package lint

import "testing"

func TestSourcePosition(t *testing.T) {
	s := NewSource("a.sql", "SELECT 1;\n-- é comment\nALTER TABLE \"ü\" ADD x int;\n")
	tests := []struct {
		off       int
		line, col int
	}{
		{0, 1, 1},
		{9, 1, 10},
		{10, 2, 1},
		{15, 2, 5}, // after "-- é": é is two bytes, one character
		{len("SELECT 1;\n-- é comment\nALTER TABLE \"ü\" "), 3, 17},
		{1000, 4, 1},
	}
	for _, tt := range tests {
		if l, c := s.Position(tt.off); l != tt.line || c != tt.col {
			t.Errorf("Position(%d) = %d:%d; want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
	if got := s.LineText(3); got != "ALTER TABLE \"ü\" ADD x int;" {
		t.Errorf("LineText(3) = %q", got)
	}
	p := s.Span(10, 24) // the comment line including its newline
	if p.Line != 2 || p.Col != 1 || p.EndLine != 2 || p.EndCol != 12 {
		t.Errorf("Span = %+v; want 2:1-2:12", p)
	}
	if off := s.ByteOffsetOfChar(15); off != 15 {
		// characters 1..14 are bytes 0..13, except é (2 bytes) at char 14 -> byte 13..14
		t.Errorf("ByteOffsetOfChar(15) = %d; want 15", off)
	}
}
