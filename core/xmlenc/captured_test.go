package xmlenc

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

const (
	nsWSSE            = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	swaContentOnly    = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only"
	swaCiphertextXfrm = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform"
)

func findAll(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	if xmlsafe.Is(el, ns, local) {
		out = append(out, el)
	}
	for _, c := range el.ChildElements() {
		out = append(out, findAll(c, ns, local)...)
	}
	return out
}

// soapPart returns the SOAP envelope of a captured file: the whole file, or the root part
// of a raw MIME dump.
func soapPart(t *testing.T, b []byte) []byte {
	t.Helper()
	start := bytes.Index(b, []byte("<?xml"))
	if start < 0 {
		start = bytes.IndexByte(b, '<')
	}
	if start < 0 {
		t.Fatal("no XML in captured file")
	}
	b = b[start:]
	if end := bytes.Index(b, []byte("\r\n--")); end >= 0 {
		b = b[:end]
	}
	return b
}

// Real AS4 messages from other implementations (no private keys: parse and re-serialise).
func TestParseCapturedAS4(t *testing.T) {
	for _, c := range []struct {
		file     string
		kt       KeyTransport
		mimeType string
	}{
		{"domibus_MSHAS4Request.xml", KeyTransport{Algorithm: RSAOAEP, Digest: xmldsig.SHA256, MGF: MGF1SHA256}, "application/octet-stream"},
		{"phase4_dump-raw.as4out", KeyTransport{Algorithm: RSAOAEP, Digest: xmldsig.SHA256, MGF: MGF1SHA256}, "application/gzip"},
		{"holodeck_from-holodeck-1.nolicense.xml", KeyTransport{Algorithm: RSAOAEPMGF1P, Digest: xmldsig.SHA256}, "application/gzip"},
	} {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			doc := parseDoc(t, soapPart(t, raw))
			keys := findAll(doc.Root(), Namespace, "EncryptedKey")
			datas := findAll(doc.Root(), Namespace, "EncryptedData")
			if len(keys) != 1 || len(datas) != 1 {
				t.Fatalf("%d keys, %d data", len(keys), len(datas))
			}
			k, err := ParseEncryptedKey(keys[0])
			if err != nil {
				t.Fatal(err)
			}
			if k.Transport == nil || k.Transport.Algorithm != c.kt.Algorithm || k.Transport.Digest != c.kt.Digest || k.Transport.MGF != c.kt.MGF {
				t.Errorf("transport %+v, want %+v", k.Transport, c.kt)
			}
			if n := len(k.CipherValue); n != 256 && n != 384 && n != 512 {
				t.Errorf("wrapped key of %d bytes is no RSA-2048/3072/4096 block", n)
			}
			// The token reference keeps its wsse namespace although it is declared on wsse:Security.
			if len(findAll(k.KeyInfo, nsWSSE, "SecurityTokenReference")) != 1 {
				t.Errorf("no wsse:SecurityTokenReference in the detached KeyInfo: %s", shape(k.KeyInfo))
			}
			d, err := ParseEncryptedData(datas[0])
			if err != nil {
				t.Fatal(err)
			}
			if d.Algorithm != AES128GCM || d.Type != swaContentOnly || d.MimeType != c.mimeType {
				t.Errorf("data %s %s %s", d.Algorithm, d.Type, d.MimeType)
			}
			if d.CipherReference == nil || !strings.HasPrefix(d.CipherReference.URI, "cid:") ||
				len(d.CipherReference.Transforms) != 1 || d.CipherReference.Transforms[0] != swaCiphertextXfrm {
				t.Errorf("cipher reference %+v", d.CipherReference)
			}
			if len(k.DataReferences) != 1 || k.DataReferences[0] != "#"+d.ID {
				t.Errorf("key references %v, data id %q", k.DataReferences, d.ID)
			}
			if got, want := shape(reparse(t, k.Element())), shape(keys[0]); got != want {
				t.Errorf("EncryptedKey re-serialised differently:\n got %s\nwant %s", got, want)
			}
			if got, want := shape(reparse(t, d.Element())), shape(datas[0]); got != want {
				t.Errorf("EncryptedData re-serialised differently:\n got %s\nwant %s", got, want)
			}
		})
	}
}
