package tfcheck

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// module is one folder of .tf files, parsed with hclsyntax.
type module struct {
	dir    string
	bodies []*hclsyntax.Body
	locals map[string]hclsyntax.Expression
}

// loadModules parses every .tf file below root (folders named testdata and dot-folders
// are skipped) and groups them by folder.
func loadModules(root string) (map[string]*module, error) {
	mods := map[string]*module{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".tf") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		if diags.HasErrors() {
			return fmt.Errorf("parse %s: %s", path, diags.Error())
		}
		dir := filepath.Dir(path)
		m := mods[dir]
		if m == nil {
			m = &module{dir: dir, locals: map[string]hclsyntax.Expression{}}
			mods[dir] = m
		}
		body := f.Body.(*hclsyntax.Body)
		m.bodies = append(m.bodies, body)
		for _, b := range body.Blocks {
			if b.Type == "locals" {
				for name, a := range b.Body.Attributes {
					m.locals[name] = a.Expr
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("no .tf files below %s", root)
	}
	return mods, nil
}

// sortedDirs lists the module folders in a stable order.
func sortedDirs(mods map[string]*module) []string {
	dirs := make([]string, 0, len(mods))
	for d := range mods {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// blocks returns the top-level blocks of a type ("resource", "data", "module", …) whose
// first label is label ("" = any).
func (m *module) blocks(typ, label string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, body := range m.bodies {
		for _, b := range body.Blocks {
			if b.Type == typ && (label == "" || (len(b.Labels) > 0 && b.Labels[0] == label)) {
				out = append(out, b)
			}
		}
	}
	return out
}

// where names a block for messages: "dir: resource aws_x.name".
func (m *module) where(b *hclsyntax.Block) string {
	return fmt.Sprintf("%s: %s %s", m.dir, b.Type, strings.Join(b.Labels, "."))
}

// nested returns the nested blocks of a type, including the content of dynamic blocks
// of that type.
func nested(body *hclsyntax.Body, typ string) []*hclsyntax.Body {
	var out []*hclsyntax.Body
	for _, b := range body.Blocks {
		switch {
		case b.Type == typ:
			out = append(out, b.Body)
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == typ:
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					out = append(out, c.Body)
				}
			}
		}
	}
	return out
}

// attrAt follows nested blocks by type and returns the attribute at the end, or nil.
func attrAt(body *hclsyntax.Body, path ...string) *hclsyntax.Attribute {
	for _, p := range path[:len(path)-1] {
		bs := nested(body, p)
		if len(bs) == 0 {
			return nil
		}
		body = bs[0]
	}
	return body.Attributes[path[len(path)-1]]
}

// static is the value of an expression that needs no variables (a literal), if it is one.
func static(e hclsyntax.Expression) (cty.Value, bool) {
	v, diags := e.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	return v, true
}

// literalString is the attribute's value when it is a literal string.
func literalString(a *hclsyntax.Attribute) (string, bool) {
	if a == nil {
		return "", false
	}
	v, ok := static(a.Expr)
	if !ok || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// literalTrue reports whether the attribute is the literal true.
func literalTrue(a *hclsyntax.Attribute) bool {
	if a == nil {
		return false
	}
	v, ok := static(a.Expr)
	return ok && v.Type() == cty.Bool && v.True()
}

// visitAll calls fn for every node of an expression and, where the expression references
// a local of the module, of that local's expression (each local once).
func (m *module) visitAll(e hclsyntax.Expression, fn func(hclsyntax.Node)) {
	seen := map[string]bool{}
	var walk func(hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			fn(n)
			if t, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
				if name, ok := localName(t.Traversal); ok && !seen[name] && m.locals[name] != nil {
					seen[name] = true
					walk(m.locals[name])
				}
			}
			return nil
		})
	}
	walk(e)
}

// literalStrings collects every literal string inside an expression (list items,
// template literals), following references to locals of the module.
func (m *module) literalStrings(e hclsyntax.Expression) []string {
	var out []string
	m.visitAll(e, func(n hclsyntax.Node) {
		if t, ok := n.(*hclsyntax.TemplateExpr); ok {
			if v, ok := static(t); ok && v.Type() == cty.String {
				out = append(out, v.AsString())
			}
		}
	})
	return out
}

// objectKeys collects the keys of every object constructor inside an expression,
// following references to locals: what an environment map can hold, whichever branch of a
// conditional or merge applies.
func (m *module) objectKeys(e hclsyntax.Expression) map[string]bool {
	keys := map[string]bool{}
	m.visitAll(e, func(n hclsyntax.Node) {
		obj, ok := n.(*hclsyntax.ObjectConsExpr)
		if !ok {
			return
		}
		for _, item := range obj.Items {
			if k := hcl.ExprAsKeyword(item.KeyExpr); k != "" {
				keys[k] = true
			} else if v, ok := static(item.KeyExpr); ok && v.Type() == cty.String {
				keys[v.AsString()] = true
			}
		}
	})
	return keys
}

func localName(t hcl.Traversal) (string, bool) {
	if t.RootName() != "local" || len(t) < 2 {
		return "", false
	}
	a, ok := t[1].(hcl.TraverseAttr)
	return a.Name, ok
}

// refersTo reports whether the expression references resource typ.name (typ.name.attr,
// typ.name[key].attr).
func refersTo(e hclsyntax.Expression, typ, name string) bool {
	for _, t := range e.Variables() {
		if t.RootName() != typ || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok && a.Name == name {
			return true
		}
	}
	return false
}

// refersViaLocals is refersTo, also through the locals the expression uses.
func (m *module) refersViaLocals(e hclsyntax.Expression, typ, name string) bool {
	found := false
	m.visitAll(e, func(n hclsyntax.Node) {
		if t, ok := n.(*hclsyntax.ScopeTraversalExpr); ok && refersTo(t, typ, name) {
			found = true
		}
	})
	return found
}

// references lists the resources of a type an expression references, by name.
func references(e hclsyntax.Expression, typ string) []string {
	var out []string
	for _, t := range e.Variables() {
		if t.RootName() != typ || len(t) < 2 {
			continue
		}
		if a, ok := t[1].(hcl.TraverseAttr); ok {
			out = append(out, a.Name)
		}
	}
	return out
}

// jsonStatements returns the Action and Resource strings of each statement of an IAM
// policy written as jsonencode({Statement = [...]}) or as literal JSON.
func (m *module) jsonStatements(e hclsyntax.Expression) [][2][]string {
	var out [][2][]string
	hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
		if obj, ok := n.(*hclsyntax.ObjectConsExpr); ok {
			var act, res hclsyntax.Expression
			for _, item := range obj.Items {
				switch hcl.ExprAsKeyword(item.KeyExpr) {
				case "Action", "NotAction":
					act = item.ValueExpr
				case "Resource", "NotResource":
					res = item.ValueExpr
				}
			}
			if act != nil && res != nil {
				out = append(out, [2][]string{m.literalStrings(act), m.literalStrings(res)})
			}
		}
		return nil
	})
	if v, ok := static(e); ok && v.Type() == cty.String {
		out = append(out, literalJSONStatements(v.AsString())...)
	}
	return out
}

// literalJSONStatements reads the statements of a policy given as JSON text.
func literalJSONStatements(s string) [][2][]string {
	var doc struct {
		Statement []map[string]any
	}
	if json.Unmarshal([]byte(s), &doc) != nil {
		return nil
	}
	var out [][2][]string
	for _, st := range doc.Statement {
		out = append(out, [2][]string{anyStrings(st["Action"], st["NotAction"]), anyStrings(st["Resource"], st["NotResource"])})
	}
	return out
}

func anyStrings(vs ...any) []string {
	var out []string
	for _, v := range vs {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
