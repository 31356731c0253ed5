package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/brevduva/brevduva/internal/demopki"
)

func init() { register("pki", "create a demo PKI (pki demo --out DIR)", runPKI) }

func runPKI(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "demo" {
		fmt.Fprintln(stderr, "usage: brevduva pki demo --out DIR [--bits 3072]")
		return 2
	}
	fs := flag.NewFlagSet("pki demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output folder")
	bits := fs.Int("bits", 3072, "RSA key size (2048–4096)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *out == "" || *bits < 2048 || *bits > 4096 {
		fmt.Fprintln(stderr, "brevduva pki demo: --out is required and --bits must be 2048–4096")
		return 2
	}
	set, err := demopki.Demo(*bits)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva pki demo: %v\n", err)
		return 1
	}
	paths, err := set.Write(*out)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva pki demo: %v\n", err)
		return 1
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, "wrote", p)
	}
	return 0
}
