package xmlenc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// TestVectors runs testdata/vectors/*.txt (made by testdata/gen_vectors.go): each names
// the outcome of parsing its element; those that parse must re-encode to the same
// element (namespace-aware, prefixes aside) and parse again.
func TestVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/vectors/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	want := map[string]error{"malformed": ErrMalformed, "unsupported": ErrUnsupported, "keysize": ErrKeySize}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			head, body, ok := bytes.Cut(raw, []byte("\n\n"))
			if !ok {
				t.Fatal("no blank line after the header")
			}
			expect, normalised := "", false
			for _, l := range strings.Split(string(head), "\n") {
				if v, ok := strings.CutPrefix(l, "expect: "); ok {
					expect = v
				}
				normalised = normalised || l == "reencode: normalised"
			}
			doc, err := xmlsafe.ParseBytes(body, xmlsafe.DefaultLimits)
			if err != nil {
				t.Fatalf("vector is not XML: %v", err)
			}
			root := doc.Root()
			var perr error
			var again func() error
			switch root.Tag {
			case "EncryptedKey":
				var k *EncryptedKey
				if k, perr = ParseEncryptedKey(root); perr == nil {
					again = func() error {
						el := reparse(t, k.Element())
						if got, want := shape(el), shape(root); got != want && !normalised {
							t.Errorf("re-encoded differently:\n got %s\nwant %s", got, want)
						}
						_, err := ParseEncryptedKey(el)
						return err
					}
				}
			case "EncryptedData":
				var d *EncryptedData
				if d, perr = ParseEncryptedData(root); perr == nil {
					again = func() error {
						el := reparse(t, d.Element())
						if got, want := shape(el), shape(root); got != want && !normalised {
							t.Errorf("re-encoded differently:\n got %s\nwant %s", got, want)
						}
						_, err := ParseEncryptedData(el)
						return err
					}
				}
			default:
				t.Fatalf("unexpected root %s", root.Tag)
			}
			if expect == "ok" {
				if perr != nil {
					t.Fatalf("want ok, got %v", perr)
				}
				if err := again(); err != nil {
					t.Errorf("re-encoded element does not parse: %v", err)
				}
				return
			}
			w, known := want[expect]
			if !known {
				t.Fatalf("unknown expect %q", expect)
			}
			if !errors.Is(perr, w) {
				t.Errorf("want %v, got %v", w, perr)
			}
		})
	}
}
