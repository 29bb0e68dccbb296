package pgtree

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// repoSQL is every .sql file of the repository (testdata, the demo, the
// bench corpus when it was generated), by path.
func repoSQL(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".sql") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[p] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("only %d .sql files found", len(files))
	}
	return files
}

// repoTrees is every .sql file of the repository that parses, parsed.
func repoTrees(t testing.TB) map[string]*pg.ParseResult {
	t.Helper()
	trees := map[string]*pg.ParseResult{}
	for p, sql := range repoSQL(t) {
		if tree, err := Parse(sql); err == nil {
			trees[p] = tree
		}
	}
	return trees
}

// same checks that Parse gives what pg_query_go's Parse gives.
func same(t *testing.T, name, sql string) (parsed bool) {
	t.Helper()
	want, werr := pg.Parse(sql)
	got, gerr := Parse(sql)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: pg_query_go: %v, pgtree: %v", name, werr, gerr)
	}
	if werr != nil {
		var a, b *parser.Error
		if !errors.As(werr, &a) || !errors.As(gerr, &b) || *a != *b {
			t.Fatalf("%s: errors differ: %v / %v", name, werr, gerr)
		}
		return false
	}
	if !proto.Equal(want, got) {
		t.Fatalf("%s: the trees differ\npg_query_go: %v\npgtree:      %v", name, want, got)
	}
	return true
}

func TestSameTreeAsProtoUnmarshal(t *testing.T) {
	n := 0
	for p, sql := range repoSQL(t) {
		if same(t, p, sql) {
			n++
		}
	}
	// Statements the files above may not have.
	for _, sql := range []string{
		"SELECT 1.5e300::float8, -0.0, 'x'::bytea, B'1010', X'ff', true, NULL",
		"CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY (START 5), b numeric(10,2) DEFAULT 1.25)",
		"DO $$ BEGIN PERFORM 1; END $$",
		"SELECT * FROM generate_series(1, 10) WITH ORDINALITY AS g(i, n)",
		"",
		"-- only a comment",
	} {
		same(t, sql, sql)
	}
	t.Logf("%d files decoded to the same tree", n)
}

// The strings point into the buffer; the buffer is the caller's.
func TestDecodeSharesNothingWithAReusedBuffer(t *testing.T) {
	buf, err := parser.ParseToProtobuf("SELECT abc FROM xyz")
	if err != nil {
		t.Fatal(err)
	}
	own := bytes.Clone(buf)
	tree, err := Decode(own)
	if err != nil {
		t.Fatal(err)
	}
	name := tree.Stmts[0].Stmt.GetSelectStmt().FromClause[0].GetRangeVar().Relname
	if name != "xyz" {
		t.Fatalf("relname %q", name)
	}
}

func TestMalformed(t *testing.T) {
	buf, err := parser.ParseToProtobuf("SELECT a, b, c FROM t WHERE a = 1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(buf); i++ {
		// Every truncation is an error or a smaller tree, never a panic.
		Decode(buf[:i])
	}
	if _, err := Decode([]byte{0x12, 0x50, 0x01}); err == nil {
		t.Fatal("a length past the end decoded")
	}
}

// Protobuf allows a oneof to be written more than once (the last wins) and
// fields in any order; pg_query never does either, the decoder still must.
func TestOneofLastWins(t *testing.T) {
	var node []byte
	// Node{a_star: {}} then Node{string: {sval: "x"}}, then an unknown field.
	node = protowire.AppendTag(node, 73, protowire.BytesType)
	node = protowire.AppendBytes(node, nil)
	sval := protowire.AppendTag(nil, 1, protowire.BytesType)
	sval = protowire.AppendString(sval, "x")
	node = protowire.AppendTag(node, 263, protowire.BytesType)
	node = protowire.AppendBytes(node, sval)
	node = protowire.AppendTag(node, 9999, protowire.VarintType)
	node = protowire.AppendVarint(node, 5)
	raw := protowire.AppendTag(nil, 2, protowire.VarintType)
	raw = protowire.AppendVarint(raw, 7) // stmt_location before stmt
	raw = protowire.AppendTag(raw, 1, protowire.BytesType)
	raw = protowire.AppendBytes(raw, node)
	buf := protowire.AppendTag(nil, 2, protowire.BytesType)
	buf = protowire.AppendBytes(buf, raw)

	var want pg.ParseResult
	if err := proto.Unmarshal(buf, &want); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stmts[0].Stmt.GetString_().GetSval() != "x" || got.Stmts[0].StmtLocation != 7 {
		t.Fatalf("got %v", got)
	}
	// proto.Unmarshal keeps the unknown field; the decoder drops it.
	proto.Reset(want.Stmts[0].Stmt)
	want.Stmts[0].Stmt.Node = &pg.Node_String_{String_: &pg.String{Sval: "x"}}
	if !proto.Equal(&want, got) {
		t.Fatalf("got %v, want %v", got, &want)
	}
}

func FuzzSameTree(f *testing.F) {
	for _, sql := range repoSQL(f) {
		f.Add(sql)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		if !utf8.ValidString(sql) {
			// proto.Unmarshal refuses invalid UTF-8 in a string field; the
			// decoder does not check, because lint refuses such a file
			// before it parses it, as the server does.
			t.Skip()
		}
		same(t, "input", sql)
	})
}

func BenchmarkProtoUnmarshal(b *testing.B) {
	bufs := corpus(b)
	for b.Loop() {
		for _, p := range bufs {
			var t pg.ParseResult
			if err := proto.Unmarshal(p, &t); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	bufs := corpus(b)
	for b.Loop() {
		for _, p := range bufs {
			if _, err := Decode(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func corpus(b *testing.B) [][]byte {
	var bufs [][]byte
	var n int64
	for _, sql := range repoSQL(b) {
		p, err := parser.ParseToProtobuf(sql)
		if err == nil {
			bufs = append(bufs, p)
			n += int64(len(p))
		}
	}
	b.SetBytes(n)
	return bufs
}

// reflectWalk is the walk by protobuf reflection that Walk replaces: every
// Node below n, depth first, in the order protoreflect ranges over fields.
func reflectWalk(n *pg.Node, fn func(*pg.Node) bool) {
	if n == nil || n.Node == nil || !fn(n) {
		return
	}
	var message func(m protoreflect.Message)
	visit := func(m protoreflect.Message) {
		if node, ok := m.Interface().(*pg.Node); ok {
			reflectWalk(node, fn)
		} else {
			message(m)
		}
	}
	message = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			if fd.Kind() != protoreflect.MessageKind || fd.IsMap() {
				return true
			}
			if fd.IsList() {
				for i := 0; i < v.List().Len(); i++ {
					visit(v.List().Get(i).Message())
				}
				return true
			}
			visit(v.Message())
			return true
		})
	}
	message(n.ProtoReflect())
}

// Walk visits the same nodes as the reflection walk, on every statement of
// the repository's SQL, in field order, and skips children when told. The
// reflection walk's order is no reference: protoreflect ranges over fields
// in an unspecified order, and protobuf-go swaps two of them on purpose,
// differently from one build to the next.
func TestWalkAsReflection(t *testing.T) {
	stmts := 0
	for p, tree := range repoTrees(t) {
		for i, raw := range tree.Stmts {
			want, got := map[*pg.Node]int{}, map[*pg.Node]int{}
			reflectWalk(raw.Stmt, func(n *pg.Node) bool { want[n]++; return true })
			Walk(raw.Stmt, func(n *pg.Node) bool { got[n]++; return true })
			if !maps.Equal(got, want) {
				t.Fatalf("%s statement %d: Walk visited %d nodes, reflection %d, not the same ones", p, i, len(got), len(want))
			}
			// Skipping: only the statement itself.
			n := 0
			Walk(raw.Stmt, func(*pg.Node) bool { n++; return false })
			if n != 1 {
				t.Fatalf("fn returned false and Walk still went on: %d visits", n)
			}
			stmts++
		}
	}
	t.Logf("%d statements walked alike", stmts)

	// Depth first, in field order: the type name (field 1), then the values.
	tree, err := Parse("CREATE TYPE mood AS ENUM ('sad', 'ok')")
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	Walk(tree.Stmts[0].Stmt, func(n *pg.Node) bool {
		if s := n.GetString_(); s != nil {
			order = append(order, s.Sval)
		}
		return true
	})
	if got := strings.Join(order, ","); got != "mood,sad,ok" {
		t.Fatalf("Walk order %s; want mood,sad,ok", got)
	}
}

// Clone makes what proto.Clone makes: an equal tree that shares no node
// with the original.
func TestCloneAsProto(t *testing.T) {
	stmts := 0
	for p, tree := range repoTrees(t) {
		c := Clone(tree)
		if !proto.Equal(c, tree) {
			t.Fatalf("%s: the clone differs:\n%v\n%v", p, c, tree)
		}
		orig := map[*pg.Node]bool{}
		for _, raw := range tree.Stmts {
			Walk(raw.Stmt, func(n *pg.Node) bool { orig[n] = true; return true })
		}
		for i, raw := range c.Stmts {
			if raw == tree.Stmts[i] {
				t.Fatalf("%s: statement %d is shared", p, i)
			}
			Walk(raw.Stmt, func(n *pg.Node) bool {
				if orig[n] {
					t.Fatalf("%s: statement %d: the clone shares a node with the original", p, i)
				}
				return true
			})
			stmts++
		}
	}
	// A message of another kind goes to proto.Clone.
	if d := Clone(&pg.ScanResult{Version: 3}); d.Version != 3 {
		t.Fatal("Clone of a message outside the parse tree")
	}
	t.Logf("%d statements cloned", stmts)
}

func BenchmarkClone(b *testing.B) {
	trees := repoTrees(b)
	b.Run("proto", func(b *testing.B) {
		for b.Loop() {
			for _, t := range trees {
				proto.Clone(t)
			}
		}
	})
	b.Run("pgtree", func(b *testing.B) {
		for b.Loop() {
			for _, t := range trees {
				Clone(t)
			}
		}
	})
}
