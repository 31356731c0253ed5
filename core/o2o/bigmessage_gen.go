//go:build ignore

// bigmessage_gen writes an SDK message of exactly -size bytes (DIGG's felhantering min.xml
// with one random PDF-typed attachment) for the CLI peak-memory measurement in
// BENCHMARKS.md:
//
//	go run core/o2o/bigmessage_gen.go -size 30000000 -out /tmp/msg30.xml
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"log"
	"os"
)

func main() {
	size := flag.Int("size", 30_000_000, "message size in bytes")
	out := flag.String("out", "msg.xml", "output file")
	flag.Parse()
	msg, err := os.ReadFile("core/o2o/testdata/min.xml")
	if err != nil {
		log.Fatal(err)
	}
	head := []byte("<ns2:ContentFiles><ns2:fileName>a.pdf</ns2:fileName><ns2:contentType>application/pdf</ns2:contentType><ns2:content>")
	tail := []byte("</ns2:content></ns2:ContentFiles><ns2:ContentText>")
	room := *size - len(msg) - len(head) - len(tail) + len("<ns2:ContentText>")
	raw := make([]byte, room/4*3)
	rand.Read(raw)
	content := append(append(append([]byte{}, head...), base64.StdEncoding.EncodeToString(raw)...), tail...)
	b := bytes.Replace(msg, []byte("<ns2:ContentText>"), content, 1)
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %d bytes", *out, len(b))
}
