//go:build js && wasm

// Command wasm is Brevduva's browser module: glue that moves strings and Uint8Arrays
// between JavaScript and core (core/sdkmsg, core/o2o, core/smp, core/certpub), so a
// case worker's browser builds, validates, seals (O2O encrypt + sign, tm-base-ext-sigenc)
// and opens SDK messages itself and the access point never sees the plaintext.
//
// It sets globalThis.brevduvaWasm; web/static/brevduva.js wraps it (see wasm/README.md).
// Every function returns {value} or {error: {code, message}}.
package main

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall/js"
	"time"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/wasm/orgkey"
)

// held is the organisation key loaded by the user; it lives only in this module's memory.
var held struct {
	key  crypto.Signer
	dec  crypto.Decrypter
	cert *x509.Certificate
}

// codedError is an error with the code the page shows.
type codedError = orgkey.Error

func fail(code string, format string, a ...any) error {
	return &codedError{Code: code, Message: fmt.Sprintf(format, a...)}
}

func main() {
	api := map[string]any{
		"build":            fn(build),
		"validate":         fn(validate),
		"loadKey":          fn(loadKey),
		"loadPKCS12":       fn(loadPKCS12),
		"forgetKey":        fn(func([]js.Value) (any, error) { held.key, held.dec, held.cert = nil, nil, nil; return true, nil }),
		"recipientCert":    fn(recipientCert),
		"seal":             fn(seal),
		"open":             fn(open),
		"openWithKvittens": fn(openWithKvittens),
		"sealRemote":       js.FuncOf(sealRemote),
	}
	js.Global().Set("brevduvaWasm", js.ValueOf(api))
	select {}
}

// fn adapts a Go function to the {value} | {error:{code,message}} convention.
func fn(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (res any) {
		defer func() {
			if r := recover(); r != nil {
				res = errValue("internal", fmt.Sprint(r))
			}
		}()
		v, err := f(args)
		if err != nil {
			var ce *codedError
			var rej *kvittens.Rejection
			switch {
			case errors.As(err, &ce):
				return errValue(ce.Code, ce.Message)
			case errors.As(err, &rej):
				return errValue("rejected", err.Error())
			}
			return errValue("failed", err.Error())
		}
		return map[string]any{"value": v}
	})
}

func errValue(code, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": code, "message": msg}}
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func bytesOf(v js.Value) ([]byte, error) {
	switch {
	case v.Type() == js.TypeString:
		return []byte(v.String()), nil
	case v.InstanceOf(js.Global().Get("Uint8Array")):
		b := make([]byte, v.Get("length").Int())
		js.CopyBytesToGo(b, v)
		return b, nil
	}
	return nil, fail("bad-argument", "expected a string or Uint8Array")
}

func toJS(b []byte) js.Value {
	u := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// build(json, files?) → Uint8Array: the SDK message XML. json is sdkmsg.Message as JSON
// (Go field names); each File whose Content is empty takes the next Uint8Array of files.
func build(args []js.Value) (any, error) {
	var m sdkmsg.Message
	if err := json.Unmarshal([]byte(arg(args, 0).String()), &m); err != nil {
		return nil, fail("bad-json", "message json: %v", err)
	}
	files, next := arg(args, 1), 0
	for i := range m.Documents {
		for j := range m.Documents[i].Files {
			f := &m.Documents[i].Files[j]
			if len(f.Content) == 0 && files.Truthy() && next < files.Length() {
				b, err := bytesOf(files.Index(next))
				if err != nil {
					return nil, err
				}
				f.Content, next = b, next+1
			}
		}
	}
	if m.CreationDateTime == "" {
		m.CreationDateTime = sdkmsg.FormatTime(time.Now())
	}
	b, err := m.Bytes()
	if err != nil {
		return nil, fail("build", "build sdk message: %v", err)
	}
	return toJS(b), nil
}

// validate(xml) → [{rule, location, text, reason, detail}] (empty when valid).
func validate(args []js.Value) (any, error) {
	b, err := bytesOf(arg(args, 0))
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, v := range sdkmsg.Validate(b) {
		out = append(out, map[string]any{"rule": v.Rule, "location": v.Location, "text": v.Text,
			"reason": string(v.Reason), "detail": string(v.Detail)})
	}
	return out, nil
}

// loadKey(pem) → {subject, issuer, notAfter, pem}: the organisation's O2O key (PKCS#8,
// PKCS#1 or SEC 1) and its certificate, from one PEM text (wasm/orgkey).
func loadKey(args []js.Value) (any, error) {
	return hold(orgkey.FromPEM([]byte(arg(args, 0).String()), time.Now()))
}

// loadPKCS12(bytes, password) → {subject, issuer, notAfter, pem}: the same from a PKCS#12
// file (.p12/.pfx) the page read locally; the file never leaves the browser.
func loadPKCS12(args []js.Value) (any, error) {
	b, err := bytesOf(arg(args, 0))
	if err != nil {
		return nil, err
	}
	pw := ""
	if v := arg(args, 1); v.Type() == js.TypeString {
		pw = v.String()
	}
	return hold(orgkey.FromPKCS12(b, pw, time.Now()))
}

// hold keeps a loaded key pair in module memory.
func hold(p *orgkey.Pair, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	held.key, held.dec, held.cert = p.Key, p.Decrypter, p.Cert
	return certInfo(p.Cert), nil
}

func certInfo(c *x509.Certificate) map[string]any {
	return map[string]any{"subject": c.Subject.String(), "issuer": c.Issuer.String(),
		"notAfter": c.NotAfter.UTC().Format(time.RFC3339),
		"pem":      string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))}
}

// recipientCert(signedServiceMetadata, smpRootsPEM, use?) → {subject, notAfter, pem}: the
// CertPub encryption certificate (or, with use "signing", the signing certificate) from a
// signed SMP response (SMP1 §3.6.2).
func recipientCert(args []js.Value) (any, error) {
	b, err := bytesOf(arg(args, 0))
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(arg(args, 1).String())) {
		return nil, fail("smp-untrusted", "no SMP root certificate configured")
	}
	sm, err := smp.VerifySigned(b, smp.VerifyOptions{Roots: roots, Now: time.Now})
	if err != nil {
		return nil, fail("smp-signature", "the SMP response is not trustworthy: %v", err)
	}
	if sm.Metadata.Information == nil {
		return nil, fail("no-encryption-cert", "the SMP response has no service information")
	}
	certs, err := sm.Metadata.Information.CertPub()
	if err != nil {
		return nil, fail("no-encryption-cert", "CertPub: %v", err)
	}
	use, code := certpub.Encryption, "no-encryption-cert"
	if arg(args, 2).Truthy() && arg(args, 2).String() == "signing" {
		use, code = certpub.Signing, "no-signing-cert"
	}
	c := certpub.ByUse(certs, use)
	if c == nil {
		return nil, fail(code, "the organisation publishes no CertPub %s certificate", strings.TrimPrefix(string(use), "urn:fdc:digg.se:edelivery:certpub:"))
	}
	if now := time.Now(); now.After(c.NotAfter) || now.Before(c.NotBefore) {
		return nil, fail("recipient-cert-expired", "the recipient's encryption certificate %q is valid %s to %s",
			c.Subject.String(), c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly))
	}
	return certInfo(c), nil
}

func parseCert(s string) (*x509.Certificate, error) {
	blk, _ := pem.Decode([]byte(s))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, fail("bad-certificate", "expected a PEM certificate")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fail("bad-certificate", "certificate: %v", err)
	}
	return c, nil
}

// seal(xml, recipientCertPEM, functionAddress) → Uint8Array: the signed, encrypted XHE.
func seal(args []js.Value) (any, error) {
	if held.key == nil {
		return nil, fail("no-key", "load the organisation's key first")
	}
	b, err := bytesOf(arg(args, 0))
	if err != nil {
		return nil, err
	}
	rc, err := parseCert(arg(args, 1).String())
	if err != nil {
		return nil, err
	}
	s := o2o.Sealer{Key: held.key, Cert: held.cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	x, err := s.Seal(b, rc, arg(args, 2).String())
	if err != nil {
		return nil, fail("seal", "%v", err)
	}
	return toJS(x), nil
}

// open(xhe, senderCertPEM) → {xml, message}: decrypts with the loaded key and verifies the
// signature against the sender's published certificate.
func open(args []js.Value) (any, error) {
	if held.dec == nil {
		return nil, fail("no-key", "load the organisation's key first")
	}
	b, sender, err := openArgs(args)
	if err != nil {
		return nil, err
	}
	op := o2o.Opener{Decrypter: held.dec, Cert: held.cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	o, err := op.Open(b, sender)
	if err != nil {
		return nil, err
	}
	return opened(map[string]any{}, o)
}

// openArgs reads open's arguments: the XHE, and the sender's certificate when given.
func openArgs(args []js.Value) ([]byte, o2o.Sender, error) {
	var sender o2o.Sender
	b, err := bytesOf(arg(args, 0))
	if err != nil {
		return nil, sender, err
	}
	if s := arg(args, 1); s.Truthy() {
		if sender.Cert, err = parseCert(s.String()); err != nil {
			return nil, sender, err
		}
	}
	return b, sender, nil
}

// sealRemote(xml, senderCertPEM, recipientCertPEM, functionAddress, sign) → Promise of
// {value: Uint8Array} | {error}: seal with a remote signer. sign(digest, hash) is called
// with the SHA-256 digest of the canonical SignedInfo and must resolve to the RSA PKCS#1 v1.5
// (or ECDSA ASN.1) signature, e.g. made by the organisation's KMS key on the server: the
// signer sees neither the plaintext nor the key.
func sealRemote(_ js.Value, args []js.Value) any {
	b, err := bytesOf(arg(args, 0))
	var cert, rc *x509.Certificate
	if err == nil {
		cert, err = parseCert(arg(args, 1).String())
	}
	if err == nil {
		rc, err = parseCert(arg(args, 2).String())
	}
	fa, cb := arg(args, 3).String(), arg(args, 4)
	if err == nil && cb.Type() != js.TypeFunction {
		err = fail("bad-argument", "sign must be a function")
	}
	return newPromise(func() (any, error) {
		if err != nil {
			return nil, err
		}
		s := o2o.Sealer{Key: remoteSigner{cert.PublicKey, cb}, Cert: cert, Profile: o2o.DIGGProfile(), Now: time.Now}
		x, err := s.Seal(b, rc, fa)
		if err != nil {
			var ce *codedError
			if errors.As(err, &ce) {
				return nil, ce
			}
			return nil, fail("seal", "%v", err)
		}
		return toJS(x), nil
	})
}

// newPromise runs f on a goroutine (so it may wait for JavaScript promises) and resolves
// with {value} or {error}.
func newPromise(f func() (any, error)) js.Value {
	var h js.Func
	h = js.FuncOf(func(_ js.Value, a []js.Value) any {
		resolve := a[0]
		go func() {
			defer h.Release()
			v, err := f()
			if err != nil {
				var ce *codedError
				if errors.As(err, &ce) {
					resolve.Invoke(errValue(ce.Code, ce.Message))
					return
				}
				resolve.Invoke(errValue("failed", err.Error()))
				return
			}
			resolve.Invoke(map[string]any{"value": v})
		}()
		return nil
	})
	return js.Global().Get("Promise").New(h)
}

// remoteSigner is a crypto.Signer whose Sign awaits a JavaScript callback.
type remoteSigner struct {
	pub crypto.PublicKey
	cb  js.Value
}

func (r remoteSigner) Public() crypto.PublicKey { return r.pub }

func (r remoteSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, ok := opts.(*rsa.PSSOptions); ok {
		return nil, fail("remote-signer", "PSS is not supported by the remote signer")
	}
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	var ok, bad js.Func
	ok = js.FuncOf(func(_ js.Value, a []js.Value) any {
		v := arg(a, 0)
		if v.InstanceOf(js.Global().Get("ArrayBuffer")) {
			v = js.Global().Get("Uint8Array").New(v)
		}
		b, err := bytesOf(v)
		ch <- result{b, err}
		return nil
	})
	bad = js.FuncOf(func(_ js.Value, a []js.Value) any {
		msg := "rejected"
		if e := arg(a, 0); e.Truthy() {
			msg = e.Call("toString").String()
		}
		ch <- result{nil, fail("remote-signer", "remote signer: %s", msg)}
		return nil
	})
	defer ok.Release()
	defer bad.Release()
	p := js.Global().Get("Promise").Call("resolve", r.cb.Invoke(toJS(digest), opts.HashFunc().String()))
	p.Call("then", ok, bad)
	res := <-ch
	if res.err != nil {
		return nil, res.err
	}
	return res.b, nil
}
