//go:build ignore

// gen_rsa4096 writes testdata/rsa4096.key.pem, the RSA-4096 recipient key of the
// interop tests (DIGG's O2O recipient is RSA-4096, spec-facts.md §a.4). It is a public
// test key; generating one per test run would take several seconds.
//
//	go run testdata/gen_rsa4096.go
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"log"
	"os"

	"encoding/pem"
	"github.com/brevduva/brevduva/internal/demopki"
)

func main() {
	k, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		log.Fatal(err)
	}
	b, err := demopki.KeyPEM(k)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("testdata/rsa4096.key.pem", pem.EncodeToMemory(b), 0o644); err != nil {
		log.Fatal(err)
	}
}
