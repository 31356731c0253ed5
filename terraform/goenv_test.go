package tfcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// envName is what an environment variable of the functions looks like.
var envName = regexp.MustCompile(`^(BREVDUVA|AWS)_[A-Z0-9_]+$`)

// goPackage is the non-test Go source of one package, as the env analysis needs it.
type goPackage struct {
	consts map[string]string      // constant name → environment variable it names
	funcs  map[string][]*ast.Node // function name, or "."+method name → declarations
}

// parseGoPackage reads the non-test .go files of dir.
func parseGoPackage(dir string) (*goPackage, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &goPackage{consts: map[string]string{}, funcs: map[string][]*ast.Node{}}
	fset := token.NewFileSet()
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		p.add(f)
	}
	if len(p.funcs) == 0 {
		return nil, fmt.Errorf("%s: no Go functions", dir)
	}
	return p, nil
}

func (p *goPackage) add(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			var n ast.Node = d
			key := d.Name.Name
			if d.Recv != nil {
				key = "." + key
			}
			p.funcs[key] = append(p.funcs[key], &n)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				vs, ok := s.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if v, ok := stringLit(vs.Values[i]); ok && envName.MatchString(v) {
							p.consts[name.Name] = v
						}
					}
				}
			}
		}
	}
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// reads is the set of environment variables reachable from the named functions of main:
// every constant naming one and every such string literal in a function that main's
// entry points reach, through calls (and function values) inside main and into lib
// (selectors libName.X); x.M reaches the methods named M. It over-approximates (both
// branches of every if), which is what a check that Terraform sets everything needs.
func reads(main *goPackage, libName string, lib *goPackage, entry ...string) map[string]bool {
	out := map[string]bool{}
	type fn struct {
		pkg *goPackage
		key string
	}
	seen := map[fn]bool{}
	var visit func(p *goPackage, key string)
	var inspect func(p *goPackage, n ast.Node)
	inspect = func(p *goPackage, root ast.Node) {
		ast.Inspect(root, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == libName && p == main {
					if v, ok := lib.consts[n.Sel.Name]; ok {
						out[v] = true
					}
					visit(lib, n.Sel.Name)
					return false
				}
				visit(p, "."+n.Sel.Name)
				inspect(p, n.X)
				return false
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok { // a field name, unless a constant
					if v, ok := p.consts[k.Name]; ok {
						out[v] = true
					}
					inspect(p, n.Value)
					return false
				}
			case *ast.Ident:
				if v, ok := p.consts[n.Name]; ok {
					out[v] = true
				}
				visit(p, n.Name)
			case *ast.BasicLit:
				if v, ok := stringLit(n); ok && envName.MatchString(v) {
					out[v] = true
				}
			}
			return true
		})
	}
	visit = func(p *goPackage, key string) {
		if seen[fn{p, key}] {
			return
		}
		seen[fn{p, key}] = true
		for _, decl := range p.funcs[key] {
			inspect(p, *decl)
		}
	}
	for _, e := range entry {
		visit(main, e)
	}
	return out
}

// functionEnv returns, for each folder under functions/ with a main.go (what `make lambda`
// builds), the environment variables its main reaches, in its own package and in
// internal/awssys.
func functionEnv(repo string) (map[string]map[string]bool, error) {
	lib, err := parseGoPackage(filepath.Join(repo, "internal", "awssys"))
	if err != nil {
		return nil, err
	}
	dirs, err := filepath.Glob(filepath.Join(repo, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]bool{}
	for _, m := range dirs {
		dir := filepath.Dir(m)
		p, err := parseGoPackage(dir)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(dir)] = reads(p, "awssys", lib, "main")
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no functions/*/main.go below %s", repo)
	}
	return out, nil
}

// notSetByTerraform are variables the functions read that Terraform deliberately leaves
// unset, with the reason.
func notSetByTerraform(name string) (string, bool) {
	switch {
	case strings.HasPrefix(name, "AWS_"):
		return "set by the Lambda runtime (region, execution role credentials, runtime API)", true
	case strings.HasSuffix(name, "_ENDPOINT"):
		return "endpoint of a local API server, for tests only; never set in AWS", true
	}
	reason, ok := map[string]string{
		"BREVDUVA_LISTEN":                     "address of the plain-HTTP mode, used only without AWS_LAMBDA_RUNTIME_API",
		"BREVDUVA_ADDRESSBOOK_ADMIN_USER":     "basic auth is the alternative to the admin token, which Terraform sets",
		"BREVDUVA_ADDRESSBOOK_ADMIN_PASSWORD": "basic auth is the alternative to the admin token, which Terraform sets",
	}[name]
	return reason, ok
}

// requiredEnv is functionEnv without the variables Terraform leaves unset.
func requiredEnv(all map[string]map[string]bool) map[string][]string {
	out := map[string][]string{}
	for pkg, vars := range all {
		for v := range vars {
			if _, skip := notSetByTerraform(v); !skip {
				out[pkg] = append(out[pkg], v)
			}
		}
	}
	return out
}

// goStringLiterals collects every string literal of the non-test Go files below the
// folders (what the code can log).
func goStringLiterals(dirs ...string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, root := range dirs {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var s scanner.Scanner
			fset := token.NewFileSet()
			s.Init(fset.AddFile(path, -1, len(src)), src, nil, 0)
			for {
				_, tok, lit := s.Scan()
				if tok == token.EOF {
					return nil
				}
				if tok == token.STRING {
					if v, err := strconv.Unquote(lit); err == nil {
						out[v] = true
					}
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
