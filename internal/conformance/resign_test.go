package conformance

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/textproto"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// edited is a packed message opened for editing and signing again with the driver's
// (Kommun A's) AP key, as core/as4/testdata/gen_vectors.go makes its negative vectors:
// the receiver then sees a validly signed message whose only fault is the edit.
type edited struct {
	t       *testing.T
	rootCID string
	doc     *etree.Document
	parts   []*rawPart
	// signed, when set, maps an attachment's decrypted content to the octets its
	// reference digest is computed over (default: the content itself).
	signed func([]byte) []byte
}

type rawPart struct {
	cid, ct string
	data    []byte
}

func openPacked(t *testing.T, ct string, body []byte) *edited {
	t.Helper()
	r, err := mime.NewReader(ct, bytes.NewReader(body), mime.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	rh, root, err := r.Root()
	if err != nil {
		t.Fatal(err)
	}
	e := &edited{t: t}
	if e.rootCID, err = mime.NormalizeCID(rh.Get("Content-ID")); err != nil {
		t.Fatal(err)
	}
	if e.doc, err = xmlsafe.ParseBytes(root, xmlsafe.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		e.parts = append(e.parts, &rawPart{cid: p.ContentID, ct: p.Header.Get("Content-Type"), data: data})
	}
	return e
}

func (e *edited) find(path string) *etree.Element {
	el := e.doc.FindElement(path)
	if el == nil {
		e.t.Fatalf("no %s", path)
	}
	return el
}

// cek recovers the content key with the receiver's (Kommun B's) AP key: the driver
// plays both ends to edit an encrypted part.
func (e *edited) cek() []byte {
	ek, err := xmlenc.ParseEncryptedKey(e.find("//xenc:EncryptedKey"))
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := ek.Transport.Unwrap(leaf(e.t, "ap-b").Key.(*rsa.PrivateKey), ek.CipherValue)
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// editPlain replaces the first attachment's plaintext (the gzip stream) and encrypts it again.
func (e *edited) editPlain(f func([]byte) []byte) {
	cek := e.cek()
	pt, err := xmlenc.Decrypt(xmlenc.AES128GCM, cek, e.parts[0].data)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.parts[0].data, err = xmlenc.Encrypt(xmlenc.AES128GCM, cek, f(pt)); err != nil {
		e.t.Fatal(err)
	}
}

// resign recomputes every reference digest and signs SignedInfo again (rsa-sha256).
func (e *edited) resign() {
	t := e.t
	cek := e.cek()
	ids, err := wssec.IndexIDs(e.doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range e.doc.FindElements("//ds:SignedInfo/ds:Reference") {
		uri := r.SelectAttrValue("URI", "")
		var d []byte
		if strings.HasPrefix(uri, "cid:") {
			var data []byte
			for _, p := range e.parts {
				if "cid:"+p.cid == uri {
					if data, err = xmlenc.Decrypt(xmlenc.AES128GCM, cek, p.data); err != nil {
						t.Fatal(err)
					}
				}
			}
			if e.signed != nil {
				data = e.signed(data)
			}
			h := sha256.Sum256(data) // application/gzip: the Attachment-Content transform is the identity
			d = h[:]
		} else {
			if d, err = xmldsig.DigestElement(ids[strings.TrimPrefix(uri, "#")], []xmldsig.Transform{xmldsig.TransformExcC14N}, nil, xmldsig.SHA256, nil); err != nil {
				t.Fatal(err)
			}
		}
		r.FindElement("./ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(d))
	}
	canon, err := c14n.Canonicalize(c14n.ExcC14N, e.find("//ds:SignedInfo"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	sv, err := rsa.SignPKCS1v15(rand.Reader, leaf(t, "ap-a").Key.(*rsa.PrivateKey), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	e.find("//ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(sv))
}

// bytes writes the message again: its content type and body.
func (e *edited) bytes() (string, []byte) {
	t := e.t
	e.doc.WriteSettings = etree.WriteSettings{CanonicalEndTags: false}
	root, err := e.doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return e.withRoot(root)
}

// withRoot writes the message with root as its SOAP part (raw: attack tests put in
// what the XML writer would not).
func (e *edited) withRoot(root []byte) (string, []byte) {
	t := e.t
	var body bytes.Buffer
	w := mime.NewWriter(&body, "application/soap+xml")
	if err := w.SetRootContentID(e.rootCID); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRoot(root); err != nil {
		t.Fatal(err)
	}
	for _, p := range e.parts {
		pw, err := w.CreatePart(p.cid, p.ct, textproto.MIMEHeader{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.ContentType(), body.Bytes()
}

// TestResignDriver: the re-signing driver itself: a message opened, signed again
// without an edit and written out is still accepted (so a refusal in the tests below
// comes from their edit).
func TestResignDriver(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct0, body0 := m.pack(t)
	e := openPacked(t, ct0, body0)
	e.resign()
	ct, body := e.bytes()
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("HTTP %d error %q", code, ebmsError(b))
	}
}

// removePartProperty drops a PartProperties property of the first PartInfo.
func (e *edited) removePartProperty(name string) {
	for _, p := range e.doc.FindElements("//eb:PartInfo/eb:PartProperties/eb:Property") {
		if p.SelectAttrValue("name", "") == name {
			p.Parent().RemoveChild(p)
			return
		}
	}
	e.t.Fatalf("no part property %s", name)
}

// negative posts an edited, re-signed message and wants the ebMS error code and no
// delivery.
func negative(t *testing.T, want string, edit func(*edited)) {
	t.Helper()
	system(t)
	m := newMessage(t, "registrator")
	ct0, body0 := m.pack(t)
	e := openPacked(t, ct0, body0)
	edit(e)
	e.resign()
	ct, body := e.bytes()
	code, _, b := post(t, ct, body)
	if got := ebmsError(b); got != want || isReceipt(b) {
		t.Fatalf("HTTP %d: error %q, want %q", code, got, want)
	}
	if n := mailCount(t, "registrator", m.id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
}

// TA08: a PartInfo that references an external payload (not cid:) is refused.
func TestAS4_CP_TA08_ExternalPayloadRefused(t *testing.T) {
	negative(t, "EBMS:0011", func(e *edited) {
		e.find("//eb:PartInfo").CreateAttr("href", "http://example.org/payload.xml")
	})
}

// TA26: a payload without the MimeType part property is refused.
func TestAS4_CP_TA26_MissingMimeTypeRefused(t *testing.T) {
	negative(t, "EBMS:0003", func(e *edited) { e.removePartProperty("MimeType") })
}

// TA30: a part marked application/gzip that is not gzip is refused synchronously with
// EBMS:0303.
func TestAS4_CP_TA30_BadGzip(t *testing.T) {
	negative(t, "EBMS:0303", func(e *edited) {
		e.editPlain(func([]byte) []byte { return []byte("this is not gzip") })
	})
}

// TA04: an uncompressed payload (no CompressionType) is accepted and delivered.
func TestAS4_CP_TA04_UncompressedAccepted(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct0, body0 := m.pack(t)
	e := openPacked(t, ct0, body0)
	e.editPlain(func(gz []byte) []byte { return gunzip(t, gz) })
	e.removePartProperty("CompressionType")
	e.resign()
	ct, body := e.bytes()
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("HTTP %d error %q", code, ebmsError(b))
	}
	got := waitMail(t, "registrator", m.id)
	if _, rest, ok := bytes.Cut(m.plain, []byte("?>")); !ok || !bytes.Equal(got, rest) {
		t.Fatal("delivered message differs")
	}
}

// TA29: an invalid CharacterSet part property is refused.
func TestAS4_CP_TA29_InvalidCharacterSet(t *testing.T) {
	negative(t, "EBMS:0003", func(e *edited) {
		p := e.find("//eb:PartInfo/eb:PartProperties").CreateElement("eb:Property")
		p.CreateAttr("name", "CharacterSet")
		p.SetText("not a charset!")
	})
}

// TA28: a payload declared CharacterSet UTF-8 is accepted and delivered.
func TestAS4_CP_TA28_CharacterSetUTF8(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct0, body0 := m.pack(t)
	e := openPacked(t, ct0, body0)
	p := e.find("//eb:PartInfo/eb:PartProperties").CreateElement("eb:Property")
	p.CreateAttr("name", "CharacterSet")
	p.SetText("UTF-8")
	e.resign()
	ct, body := e.bytes()
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("HTTP %d error %q", code, ebmsError(b))
	}
	waitMail(t, "registrator", m.id)
}

func gunzip(t *testing.T, gz []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// TA35: sign-then-compress (the attachment's digest is over the uncompressed payload,
// the part carries it compressed) is refused.
func TestAS4_CP_TA35_SignThenCompressRefused(t *testing.T) {
	negativeAny(t, func(e *edited) {
		e.signed = func(gz []byte) []byte { return gunzip(t, gz) }
	}, nil)
}

// TA37: encrypt-then-compress (the encrypted part gzipped afterwards) is refused.
func TestAS4_CP_TA37_EncryptThenCompressRefused(t *testing.T) {
	negativeAny(t, nil, func(e *edited) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(e.parts[0].data); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		e.parts[0].data = buf.Bytes()
	})
}

// negativeAny edits a message before and after signing it again and wants an ebMS
// error (any code), no receipt, and no delivery.
func negativeAny(t *testing.T, before, after func(*edited)) {
	t.Helper()
	system(t)
	m := newMessage(t, "registrator")
	ct0, body0 := m.pack(t)
	e := openPacked(t, ct0, body0)
	if before != nil {
		before(e)
	}
	e.resign()
	if after != nil {
		after(e)
	}
	ct, body := e.bytes()
	code, _, b := post(t, ct, body)
	if ebmsError(b) == "" || isReceipt(b) {
		t.Fatalf("HTTP %d: accepted: %.300s", code, b)
	}
	t.Logf("refused with %s", ebmsError(b))
	if n := mailCount(t, "registrator", m.id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
}

// TA44: message properties without a type are accepted (and the message delivered).
func TestAS4_CP_TA44_PropertiesWithoutType(t *testing.T) {
	system(t)
	m := newMessage(t, "registrator")
	ct0, body0 := m.pack(t)
	e := openPacked(t, ct0, body0)
	props := e.doc.FindElements("//eb:MessageProperties/eb:Property")
	if len(props) == 0 {
		t.Fatal("no message properties")
	}
	for _, p := range props {
		if p.RemoveAttr("type") == nil {
			t.Fatalf("property %s had no type", p.SelectAttrValue("name", ""))
		}
	}
	e.resign()
	ct, body := e.bytes()
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("HTTP %d error %q", code, ebmsError(b))
	}
	waitMail(t, "registrator", m.id)
}
