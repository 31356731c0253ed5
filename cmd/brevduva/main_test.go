package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript files run the real brevduva binary: inside a script,
// `exec brevduva ...` runs this test binary as the CLI.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"brevduva": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// runScripts runs every testdata/<dir>/*.txtar script. Each command group has its own
// folder and its own Test function that calls this (e.g. TestAS4Scripts → testdata/as4).
func runScripts(t *testing.T, dir string) {
	t.Helper()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/" + dir,
		RequireExplicitExec: true,
	})
}

func TestCLIScripts(t *testing.T) { runScripts(t, "cli") }

func TestServeScripts(t *testing.T) { runScripts(t, "serve") }
