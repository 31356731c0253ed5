package faults

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
)

// notPorts are the interfaces of core/msh that are not fault targets, with the reason.
var notPorts = map[string]string{
	"Clock": "the time source: the runs use the wall clock, a fault is not a time",
}

// portTypes are the port interfaces by name (the test below proves the list complete).
var portTypes = map[string]reflect.Type{
	"InboundStore":   reflect.TypeFor[msh.InboundStore](),
	"OutboxStore":    reflect.TypeFor[msh.OutboxStore](),
	"MessageStore":   reflect.TypeFor[msh.MessageStore](),
	"OutboxLister":   reflect.TypeFor[msh.OutboxLister](),
	"OutboxDeleter":  reflect.TypeFor[msh.OutboxDeleter](),
	"PayloadStore":   reflect.TypeFor[msh.PayloadStore](),
	"PayloadDeleter": reflect.TypeFor[msh.PayloadDeleter](),
	"DuplicateGuard": reflect.TypeFor[msh.DuplicateGuard](),
	"GuardSweeper":   reflect.TypeFor[msh.GuardSweeper](),
	"OutboundQueue":  reflect.TypeFor[msh.OutboundQueue](),
	"DeadLetters":    reflect.TypeFor[msh.DeadLetters](),
	"Mailbox":        reflect.TypeFor[msh.Mailbox](),
	"Transport":      reflect.TypeFor[msh.Transport](),
	"Discoverer":     reflect.TypeFor[msh.Discoverer](),
	"Auditor":        reflect.TypeFor[msh.Auditor](),
}

// recordNothing stands for an optional port that Wrap wraps only when it is set.
type recordNothing struct{}

func (recordNothing) Record(context.Context, audit.Event) error { return nil }

// declaredInterfaces parses core/msh (not its tests) for its exported interface types.
func declaredInterfaces(t *testing.T) []string {
	t.Helper()
	const dir = "../../core/msh"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if ts, ok := n.(*ast.TypeSpec); ok {
				if _, ok := ts.Type.(*ast.InterfaceType); ok && ts.Name.IsExported() {
					out = append(out, ts.Name.Name)
				}
			}
			return true
		})
	}
	slices.Sort(out)
	return out
}

// wrappedPorts returns the ports in.Wrap puts into engine options, failing for any
// interface-typed option (a port) it leaves out.
func wrappedPorts(t *testing.T, in *Injector) []reflect.Value {
	t.Helper()
	o := msh.EngineOptions{Audit: recordNothing{}}
	in.Wrap("t", &o)
	ov := reflect.ValueOf(o)
	var ports []reflect.Value
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		if f.Type.Kind() != reflect.Interface || notPorts[f.Type.Name()] != "" {
			continue
		}
		if ov.Field(i).IsNil() {
			t.Fatalf("EngineOptions.%s (%s) is a port the injector does not wrap", f.Name, f.Type)
		}
		ports = append(ports, ov.Field(i).Elem())
	}
	return ports
}

// TestEveryPortCovered fails when core/msh declares a port, or EngineOptions takes one,
// that the injector does not wrap, and proves that every method of every port goes
// through the injector under its own name: a fault armed on it strikes.
func TestEveryPortCovered(t *testing.T) {
	decl := declaredInterfaces(t)
	if len(decl) < len(portTypes) {
		t.Fatalf("parsed only %v from core/msh", decl)
	}
	for _, name := range decl {
		if _, ok := portTypes[name]; !ok && notPorts[name] == "" {
			t.Errorf("core/msh declares interface %s: wrap it in the injector (inject.go) or say in notPorts why it is no fault target", name)
		}
	}
	calls := 0
	for name, it := range portTypes {
		for i := range it.NumMethod() {
			m := it.Method(i)
			pt := Point{Tenant: "t", Op: m.Name, Phase: Before, N: 1}
			in := NewInjector(nil, pt)
			var impl []reflect.Value
			for _, p := range wrappedPorts(t, in) {
				if p.Type().Implements(it) {
					impl = append(impl, p)
				}
			}
			if len(impl) != 1 {
				t.Errorf("%s: %d wrapped ports implement it, want 1", name, len(impl))
				break
			}
			strike(t, impl[0].MethodByName(m.Name), name+"."+m.Name)
			if f := in.Fired(); len(f) != 1 || f[0] != pt {
				t.Errorf("%s.%s: fired %v, want %v", name, m.Name, f, pt)
			}
			calls++
		}
	}
	t.Logf("%d interfaces, %d port methods, each struck through the injector", len(portTypes), calls)
}

// strike calls fn with zero arguments (a background context): the armed Before fault
// must fail it with ErrInjected without reaching the (nil) adapter behind the wrapper.
func strike(t *testing.T, fn reflect.Value, name string) {
	t.Helper()
	args := make([]reflect.Value, fn.Type().NumIn())
	for i := range args {
		if at := fn.Type().In(i); at == reflect.TypeFor[context.Context]() {
			args[i] = reflect.ValueOf(context.Background())
		} else {
			args[i] = reflect.Zero(at)
		}
	}
	outs := fn.Call(args)
	if err, _ := outs[len(outs)-1].Interface().(error); !errors.Is(err, ErrInjected) {
		t.Errorf("%s: %v, want the injected fault", name, err)
	}
}
