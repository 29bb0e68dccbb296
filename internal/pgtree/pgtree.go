// Package pgtree parses SQL with pg_query, the PostgreSQL parser, into
// pg_query_go's parse tree types, faster than pg_query_go's Parse.
//
// pg_query_go's Parse has the C parser write the tree as protobuf and then
// decodes it with proto.Unmarshal, which walks every message by reflection
// and allocates a Node, its oneof wrapper and the wrapped message apart.
// Here the same bytes are decoded by code generated from the Go types
// (decode_gen.go, go generate), with one allocation per node, and strings
// that share the protobuf buffer instead of copying out of it. The result is
// the same tree: TestSameTreeAsProtoUnmarshal compares the two with
// proto.Equal on every SQL file in the repository. Walk, generated too,
// visits every Node below a Node without protobuf reflection, in field
// order (protoreflect's order is unspecified, and protobuf-go shuffles it
// from build to build: TestWalkAsReflection), and Clone copies a tree as
// proto.Clone does, three times faster (TestCloneAsProto).
package pgtree

//go:generate go run ./gen -o decode_gen.go

import (
	"errors"
	"unsafe"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/encoding/protowire"
)

// Parse parses sql like pg_query_go's Parse: a syntax error is a
// *parser.Error with the cursor position.
func Parse(sql string) (*pg.ParseResult, error) {
	buf, err := parser.ParseToProtobuf(sql)
	if err != nil {
		return nil, err
	}
	return Decode(buf)
}

// Decode decodes a protobuf ParseResult. The tree's strings point into buf,
// which must not change afterwards. Unlike proto.Unmarshal it does not check
// that string fields are UTF-8: pg_query copies them from the SQL text, which
// callers check (as lint does) when it matters.
func Decode(buf []byte) (*pg.ParseResult, error) {
	t := new(pg.ParseResult)
	if err := decodeParseResult(buf, t); err != nil {
		return nil, err
	}
	return t, nil
}

var errTruncated = errors.New("pgtree: truncated or malformed protobuf parse tree")

const (
	wireVarint  = protowire.VarintType
	wireFixed64 = protowire.Fixed64Type
	wireBytes   = protowire.BytesType
)

// varint reads a varint; one byte inline, the rest through protowire.
func varint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return protowire.ConsumeVarint(b)
}

// tag reads a field's number and wire type.
func tag(b []byte) (protowire.Number, protowire.Type, int) {
	v, n := varint(b)
	if n < 0 {
		return 0, 0, n
	}
	return protowire.Number(v >> 3), protowire.Type(v & 7), n
}

// lenField reads a length-delimited value.
func lenField(b []byte) ([]byte, int) {
	l, n := varint(b)
	if n < 0 || l > uint64(len(b)-n) {
		return nil, -1
	}
	return b[n : n+int(l)], n + int(l)
}

// skip steps over a value of a field the decoder does not keep.
func skip(b []byte, typ protowire.Type) int {
	return protowire.ConsumeFieldValue(0, typ, b)
}

func skipAll(b []byte) error {
	for len(b) > 0 {
		_, typ, n := tag(b)
		if n < 0 {
			return errTruncated
		}
		b = b[n:]
		if n = skip(b, typ); n < 0 {
			return errTruncated
		}
		b = b[n:]
	}
	return nil
}

// str shares the buffer's bytes.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
