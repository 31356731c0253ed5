//go:build ignore

// gen_vectors writes the negative (and two positive) test vectors of core/as4
// into vectors/, one failure each, in the format of STYLE.md rule 17, and the
// keys that open them into vectors/keys/. Run from core/as4:
//
//	go run ./testdata/gen_vectors.go
//
// Each vector is a message Pack produced, then changed in exactly one way; where
// the change must not also break the signature, the generator recomputes the
// affected digests and signs SignedInfo again, so that the vector fails only
// for the reason it names.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/x25519cert"
)

const dir = "testdata/vectors"

var now = time.Now().UTC().Truncate(time.Second)

// msg is a packed message opened up for editing.
type msg struct {
	boundary, rootCID string
	doc               *etree.Document
	parts             []*part
}

type part struct {
	cid, ct string
	data    []byte
}

func main() {
	log.SetFlags(0)
	must(os.MkdirAll(filepath.Join(dir, "keys"), 0o755))
	old, _ := filepath.Glob(filepath.Join(dir, "*.vec"))
	for _, f := range old {
		must(os.Remove(f))
	}
	pki, err := demopki.Demo(2048)
	must(err)
	ca := pki.CA("ap-ca")
	a, b := pki.Leaf("ap-a"), pki.Leaf("ap-b")
	writePEM("ap-ca.ca.pem", demopki.CertPEM(ca.Cert.Cert))
	writePEM("ap-b.cert.pem", demopki.CertPEM(b.Cert))
	kb, err := demopki.KeyPEM(b.Key)
	must(err)
	writePEM("ap-b.key.pem", kb)

	p115 := pmode.EDelivery115()
	packer := func(key crypto.Signer, cert *x509.Certificate) *as4.Packer {
		return &as4.Packer{Profile: p115, Sender: as4.Sender{Key: key, Cert: cert}, Recipient: b.Cert,
			Now: func() time.Time { return now }, Boundary: "MIMEBoundary_brevduva_vector"}
	}
	good := packer(a.Key, a.Cert)
	payloads := []as4.Payload{{ContentID: "message", MimeType: "text/xml", CharacterSet: "UTF-8",
		Data: []byte(`<?xml version="1.0" encoding="UTF-8"?><XHE xmlns="http://docs.oasis-open.org/bdxr/ns/XHE/1/ExchangeHeaderEnvelope"><Header/></XHE>`)}}
	bkey := b.Key.(*rsa.PrivateKey)

	emit("ok-1.15", "success", p115, "a message as Pack writes it", pack(good, payloads))

	// wrong key: the BST names ap-a, but ap-b's key signed.
	emit("wrong-key", "EBMS:0101", p115, "signed with a key that is not the one of the BinarySecurityToken",
		pack(packer(b.Key, a.Cert), payloads))

	m := open(pack(good, payloads))
	m.find("//eb:Action").SetText("TamperedAction")
	emit("tampered-messaging", "EBMS:0101", p115, "eb:Action edited after signing (Messaging digest mismatch)", m.bytes())

	m = open(pack(good, payloads))
	m.editPlain(bkey, func(gz []byte) []byte { return gzipOf([]byte("<XHE>tampered</XHE>")) })
	emit("tampered-attachment", "EBMS:0101", p115, "attachment replaced after signing and encrypted again (cid: digest mismatch)", m.bytes())

	m = open(pack(good, payloads))
	m.parts[0].data[len(m.parts[0].data)-1] ^= 1
	emit("tampered-ciphertext", "EBMS:0102", p115, "one bit of the encrypted attachment flipped (AES-GCM tag fails)", m.bytes())

	m = open(pack(good, payloads))
	for _, r := range m.doc.FindElements("//ds:SignedInfo/ds:Reference") {
		if strings.HasPrefix(r.SelectAttrValue("URI", ""), "cid:") {
			r.Parent().RemoveChild(r)
		}
	}
	m.resign(a.Key, bkey)
	emit("missing-attachment-reference", "EBMS:0103", p115, "the ds:Reference to the attachment removed and SignedInfo signed again", m.bytes())

	// Sign-then-encrypt lets the encryption be undone without touching the
	// signature: the attachment sent in clear, EncryptedKey/EncryptedData gone.
	m = open(pack(good, payloads))
	cek := m.cek(bkey)
	pt, err := xmlenc.Decrypt(xmlenc.AES128GCM, cek, m.parts[0].data)
	must(err)
	m.parts[0].data, m.parts[0].ct = pt, "application/gzip"
	for _, tag := range []string{"//xenc:EncryptedKey", "//xenc:EncryptedData"} {
		el := m.find(tag)
		el.Parent().RemoveChild(el)
	}
	emit("unencrypted-attachment", "EBMS:0103", p115, "attachment sent in clear (signature intact); the profile requires it encrypted", m.bytes())

	m = open(pack(good, payloads))
	sig := m.find("//ds:Signature")
	sig.Parent().RemoveChild(sig)
	emit("unsigned", "EBMS:0103", p115, "ds:Signature removed", m.bytes())

	expired, err := ca.Issue("AP0001-EXPIRED", demopki.Options{Bits: 2048, NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(-24 * time.Hour)})
	must(err)
	emit("expired-certificate", "EBMS:0101", p115, "signer certificate expired a day before the message", pack(packer(expired.Key, expired.Cert), payloads))

	untrusted := pki.Leaf("org-a") // issued by o2o-ca, not the AP CA
	emit("untrusted-certificate", "EBMS:0101", p115, "signer certificate issued by a CA outside the trust store", pack(packer(untrusted.Key, untrusted.Cert), payloads))

	// Signature wrapping 1: the signed eb:Messaging moved into a wrapper header;
	// an attacker's copy (other Action, no wsu:Id) takes its place.
	m = open(pack(good, payloads))
	orig := m.find("//eb:Messaging")
	evil := orig.Copy()
	evil.RemoveAttr("wsu:Id")
	evil.FindElement(".//eb:Action").SetText("EvilAction")
	hdr := orig.Parent()
	hdr.RemoveChild(orig)
	wrap := hdr.CreateElement("x:Wrapper")
	wrap.CreateAttr("xmlns:x", "urn:attacker")
	wrap.AddChild(orig)
	hdr.AddChild(evil)
	emit("wrapping-moved-messaging", "EBMS:0103", p115, "signature wrapping: signed eb:Messaging moved into another header, unsigned copy in its place", m.bytes())

	// Signature wrapping 2: an attacker's eb:Messaging with the same wsu:Id.
	m = open(pack(good, payloads))
	orig = m.find("//eb:Messaging")
	evil = orig.Copy()
	evil.FindElement(".//eb:Action").SetText("EvilAction")
	hdr = orig.Parent()
	hdr.RemoveChild(orig)
	wrap = hdr.CreateElement("x:Wrapper")
	wrap.CreateAttr("xmlns:x", "urn:attacker")
	wrap.AddChild(orig)
	hdr.AddChild(evil)
	emit("wrapping-duplicate-id", "EBMS:0101", p115, "signature wrapping: a second eb:Messaging carrying the signed one's wsu:Id", m.bytes())

	m = open(pack(good, payloads))
	m.editPlain(bkey, func([]byte) []byte { return []byte("this is not gzip") })
	m.resign(a.Key, bkey)
	emit("bad-gzip", "EBMS:0303", p115, "CompressionType application/gzip but the (signed, encrypted) part is not gzip", m.bytes())

	m = open(pack(good, payloads))
	m.find("//eb:PartInfo").CreateAttr("href", "http://example.org/payload.xml")
	m.resign(a.Key, bkey)
	emit("external-payload", "EBMS:0011", p115, "eb:PartInfo@href names an external payload; signed again", m.bytes())

	m = open(pack(good, payloads))
	for _, p := range m.doc.FindElements("//eb:PartProperties/eb:Property") {
		if p.SelectAttrValue("name", "") == "MimeType" {
			p.Parent().RemoveChild(p)
		}
	}
	m.resign(a.Key, bkey)
	emit("missing-mimetype", "EBMS:0003", p115, "MimeType part property removed (AS4_CP_TA26); signed again", m.bytes())

	m = open(pack(good, payloads))
	m.find("//ds:SignedInfo/ds:SignatureMethod").CreateAttr("Algorithm", string(xmldsig.RSASHA1))
	m.resignWith(a.Key.(*rsa.PrivateKey), crypto.SHA1)
	emit("rsa-sha1", "EBMS:0103", p115, "SignedInfo signed with rsa-sha1, which eDelivery AS4 1.15 does not allow", m.bytes())

	// eDelivery AS4 2.0
	edCA, err := demopki.NewCA("Brevduva Vector AP CA 2.0", demopki.Options{Kind: demopki.Ed25519})
	must(err)
	edA, err := edCA.Issue("AP0001-ED", demopki.Options{Kind: demopki.Ed25519})
	must(err)
	xk, err := ecdh.X25519().GenerateKey(rand.Reader)
	must(err)
	xc, err := x25519cert.Issue(edCA, "AP0002-ED enc", xk.PublicKey(), demopki.Options{})
	must(err)
	writePEM("ed-ca.ca.pem", demopki.CertPEM(edCA.Cert.Cert))
	writePEM("x25519-b.cert.pem", demopki.CertPEM(xc))
	xder, err := x509.MarshalPKCS8PrivateKey(xk)
	must(err)
	writePEM("x25519-b.key.pem", &pem.Block{Type: "PRIVATE KEY", Bytes: xder})
	p20 := pmode.EDelivery20()
	p2 := &as4.Packer{Profile: p20, Sender: as4.Sender{Key: edA.Key, Cert: edA.Cert}, Recipient: xc,
		Now: func() time.Time { return now }, Boundary: "MIMEBoundary_brevduva_vector"}
	emit("ok-2.0", "success", p20, "an eDelivery AS4 2.0 message (Ed25519, X25519 + HKDF + kw-aes128)", pack(p2, payloads))
	m = open(pack(p2, payloads))
	m.find("//eb:Service").SetText("tampered")
	emit("tampered-messaging-2.0", "EBMS:0101", p20, "eb:Service edited after the Ed25519 signature", m.bytes())
	_ = ed25519.PublicKey(nil)
}

func pack(p *as4.Packer, payloads []as4.Payload) []byte {
	um := &ebms.UserMessage{
		From: ebms.Party{ID: "AP0001-BREVDUVA-DEMO", Type: "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap", Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator"},
		To:   ebms.Party{ID: "AP0002-BREVDUVA-DEMO", Type: "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap", Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder"},
		Collaboration: ebms.CollaborationInfo{
			Service:        ebms.Service{Value: "bdx:noprocess", Type: "urn:fdc:digg.se:edelivery:process"},
			Action:         "busdox-docid-qns::urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc",
			ConversationID: "0b9a3f4e-3c1d-4f57-8f0e-7a4a9d0d6c11",
		},
		Properties: []ebms.Property{
			{Name: "originalSender", Type: "iso6523-actorid-upis", Value: "0203:kommun-a.se"},
			{Name: "finalRecipient", Type: "iso6523-actorid-upis", Value: "0203:kommun-b.se"},
		},
	}
	var buf bytes.Buffer
	ct, _, err := p.Pack(&buf, um, payloads)
	must(err)
	return append([]byte("Content-Type: "+ct+"\r\n\r\n"), buf.Bytes()...)
}

// open parses a packed message ("Content-Type: ...", blank line, body).
func open(raw []byte) *msg {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	h, err := tp.ReadMIMEHeader()
	must(err)
	r, err := mime.NewReader(h.Get("Content-Type"), tp.R, mime.DefaultLimits)
	must(err)
	rh, root, err := r.Root()
	must(err)
	m := &msg{boundary: "MIMEBoundary_brevduva_vector"}
	m.rootCID, err = mime.NormalizeCID(rh.Get("Content-ID"))
	must(err)
	m.doc, err = xmlsafe.ParseBytes(root, xmlsafe.DefaultLimits)
	must(err)
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		must(err)
		data, err := io.ReadAll(p.Body)
		must(err)
		m.parts = append(m.parts, &part{cid: p.ContentID, ct: p.Header.Get("Content-Type"), data: data})
	}
	return m
}

func (m *msg) find(path string) *etree.Element {
	el := m.doc.FindElement(path)
	if el == nil {
		log.Fatalf("no %s", path)
	}
	return el
}

func (m *msg) bytes() []byte {
	m.doc.WriteSettings = etree.WriteSettings{CanonicalEndTags: false}
	root, err := m.doc.WriteToBytes()
	must(err)
	var body bytes.Buffer
	w := mime.NewWriter(&body, "application/soap+xml")
	must(w.SetBoundary(m.boundary))
	must(w.SetRootContentID(m.rootCID))
	must(w.WriteRoot(root))
	for _, p := range m.parts {
		pw, err := w.CreatePart(p.cid, p.ct, textproto.MIMEHeader{})
		must(err)
		_, err = pw.Write(p.data)
		must(err)
	}
	must(w.Close())
	return append([]byte("Content-Type: "+w.ContentType()+"\r\n\r\n"), body.Bytes()...)
}

// cek recovers the content key with the recipient's RSA key.
func (m *msg) cek(key *rsa.PrivateKey) []byte {
	ek, err := xmlenc.ParseEncryptedKey(m.find("//xenc:EncryptedKey"))
	must(err)
	k, err := ek.Transport.Unwrap(key, ek.CipherValue)
	must(err)
	return k
}

// editPlain decrypts the first attachment, replaces its plaintext and encrypts it again.
func (m *msg) editPlain(key *rsa.PrivateKey, f func([]byte) []byte) {
	cek := m.cek(key)
	pt, err := xmlenc.Decrypt(xmlenc.AES128GCM, cek, m.parts[0].data)
	must(err)
	m.parts[0].data, err = xmlenc.Encrypt(xmlenc.AES128GCM, cek, f(pt))
	must(err)
}

// resign recomputes every reference digest (the attachment's from its
// decrypted content) and signs SignedInfo again with rsa-sha256.
func (m *msg) resign(signer crypto.Signer, rcpt *rsa.PrivateKey) {
	cek := m.cek(rcpt)
	ids, err := wssec.IndexIDs(m.doc.Root())
	must(err)
	for _, r := range m.doc.FindElements("//ds:SignedInfo/ds:Reference") {
		uri := r.SelectAttrValue("URI", "")
		var d []byte
		if strings.HasPrefix(uri, "cid:") {
			var data []byte
			for _, p := range m.parts {
				if "cid:"+p.cid == uri {
					data, err = xmlenc.Decrypt(xmlenc.AES128GCM, cek, p.data)
					must(err)
				}
			}
			h := sha256.Sum256(data) // application/gzip: the Attachment-Content transform is the identity
			d = h[:]
		} else {
			d, err = xmldsig.DigestElement(ids[strings.TrimPrefix(uri, "#")], []xmldsig.Transform{xmldsig.TransformExcC14N}, nil, xmldsig.SHA256, nil)
			must(err)
		}
		r.FindElement("./ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(d))
	}
	m.resignWith(signer.(*rsa.PrivateKey), crypto.SHA256)
}

func (m *msg) resignWith(key *rsa.PrivateKey, h crypto.Hash) {
	si := m.find("//ds:SignedInfo")
	canon, err := c14n.Canonicalize(c14n.ExcC14N, si, nil, nil)
	must(err)
	var sum []byte
	switch h {
	case crypto.SHA1:
		s := sha1.Sum(canon)
		sum = s[:]
	default:
		s := sha256.Sum256(canon)
		sum = s[:]
	}
	sv, err := rsa.SignPKCS1v15(rand.Reader, key, h, sum)
	must(err)
	m.find("//ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(sv))
}

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	must(err)
	must(zw.Close())
	return buf.Bytes()
}

func emit(name, expect string, p as4.Profile, comment string, raw []byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "expect: %s\nprofile: %s\nat: %s\ncomment: %s\n\n", expect, p.ID, now.Add(time.Minute).Format(time.RFC3339), comment)
	b.Write(raw)
	must(os.WriteFile(filepath.Join(dir, name+".vec"), b.Bytes(), 0o644))
	fmt.Println("wrote", name)
}

func writePEM(name string, blk *pem.Block) {
	must(os.WriteFile(filepath.Join(dir, "keys", name), pem.EncodeToMemory(blk), 0o644))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
