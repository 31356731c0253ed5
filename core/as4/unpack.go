package as4

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Limits cap what Unpack reads.
type Limits struct {
	MIME mime.Limits    // parts, header and part sizes
	XML  xmlsafe.Limits // the SOAP part
	// MaxAttachmentBytes caps all attachments together as read (each is also
	// capped by MIME.MaxPartBytes); attachments are held in memory because
	// AES-GCM authenticates a part only at its end.
	MaxAttachmentBytes int64
	// MaxDecompressed caps all payloads together after gzip decompression (gzip bombs).
	MaxDecompressed int64
	// ClockSkew is tolerated around a wsu:Timestamp.
	ClockSkew time.Duration
}

// DefaultLimits suit SDK messages (30 MB of content, spec-facts §k 19).
var DefaultLimits = Limits{
	MIME:               mime.DefaultLimits,
	XML:                xmlsafe.DefaultLimits,
	MaxAttachmentBytes: 128 << 20,
	MaxDecompressed:    256 << 20,
	ClockSkew:          5 * time.Minute,
}

// Recipient is our decryption identity.
type Recipient struct {
	Cert *x509.Certificate // our encryption certificate; EncryptedKey must name it
	// Decrypter unwraps RSA key transport (eDelivery AS4 1.x); a KMS key fits.
	Decrypter crypto.Decrypter
	// Agreement unwraps X25519 key agreement (eDelivery AS4 2.0); *ecdh.PrivateKey fits.
	Agreement xmlenc.ECDHKey
}

// Unpacker verifies and opens received AS4 user messages.
type Unpacker struct {
	// Profile is used when Select is nil.
	Profile Profile
	// Select, when set, picks the profile (the PMode) from the still unverified
	// header; Unpack calls it again on the verified header and fails with
	// EBMS:0010 unless it picks the same profile (STYLE rule 15).
	Select    func(unverified *ebms.Messaging) (Profile, error)
	Recipient Recipient
	Trust     *trust.Store
	// Known certificates resolve SecurityTokenReferences by SKI or issuer and
	// serial (typically the peer's certificate from SMP).
	Known  []*x509.Certificate
	Limits *Limits // nil means DefaultLimits
}

// Verified is a received user message after every check: it holds only
// content covered by the verified signature.
type Verified struct {
	Profile   Profile
	Messaging *ebms.Messaging // parsed from MessagingElement
	// MessagingElement is the eb:Messaging element the signature covers (a child of soap:Header).
	MessagingElement *etree.Element
	Payloads         []VerifiedPayload // in PartInfo order (AS4_CP_TA45)
	Signer           *x509.Certificate
	Chain            []*x509.Certificate
	// References are the verified ds:Reference elements, detached copies (for the NRR receipt).
	References []*etree.Element
}

// VerifiedPayload is one payload, decrypted and decompressed.
type VerifiedPayload struct {
	ContentID    string // bare; "" for a payload in the SOAP Body
	Href         string
	MimeType     string
	CharacterSet string
	Properties   []ebms.Property
	Data         []byte
}

func (u *Unpacker) limits() Limits {
	if u.Limits != nil {
		return *u.Limits
	}
	return DefaultLimits
}

func ebErr(code ebms.Code, detail string, cause error) error {
	return ebms.NewError(code, detail, cause)
}

// attachment is a MIME part while the message is being opened.
type attachment struct {
	cid         string
	contentType string // after decryption: EncryptedData@MimeType
	data        []byte
	encrypted   bool
	decrypted   bool
}

// received is a parsed message before verification.
type received struct {
	env   *soap.Envelope
	parts map[string]*attachment
	order []string
}

// readMessage reads a multipart/related message (SwA) or a plain SOAP 1.2
// message (AS4_CP_TA22), the SOAP part whole but capped, attachments capped.
func readMessage(contentType string, body io.Reader, lim Limits) (*received, error) {
	mt, _, err := stdmime.ParseMediaType(contentType)
	if err != nil {
		return nil, ebErr(ebms.MIMEInconsistency, "unreadable Content-Type", err)
	}
	rc := &received{parts: map[string]*attachment{}}
	var root []byte
	switch strings.ToLower(mt) {
	case mime.MultipartRelated:
		r, err := mime.NewReader(contentType, body, lim.MIME)
		if err != nil {
			return nil, ebErr(ebms.MIMEInconsistency, "multipart/related", err)
		}
		if _, root, err = r.Root(); err != nil {
			return nil, ebErr(ebms.MIMEInconsistency, "SOAP part", err)
		}
		budget := lim.MaxAttachmentBytes
		for {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, ebErr(ebms.MIMEInconsistency, "attachment", err)
			}
			data, err := io.ReadAll(io.LimitReader(p.Body, budget+1))
			if err != nil {
				return nil, ebErr(ebms.MIMEInconsistency, "attachment "+p.ContentID, err)
			}
			if budget -= int64(len(data)); budget < 0 {
				return nil, ebErr(ebms.MIMEInconsistency, "attachments exceed the size limit", mime.ErrLimit)
			}
			ct := p.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/octet-stream"
			}
			rc.parts[p.ContentID] = &attachment{cid: p.ContentID, contentType: ct, data: data}
			rc.order = append(rc.order, p.ContentID)
		}
	case "application/soap+xml":
		root, err = io.ReadAll(io.LimitReader(body, lim.MIME.MaxRootBytes+1))
		if err != nil {
			return nil, ebErr(ebms.MIMEInconsistency, "SOAP message", err)
		}
		if int64(len(root)) > lim.MIME.MaxRootBytes {
			return nil, ebErr(ebms.MIMEInconsistency, "SOAP message too large", mime.ErrLimit)
		}
	default:
		return nil, ebErr(ebms.MIMEInconsistency, fmt.Sprintf("Content-Type %q is neither multipart/related nor application/soap+xml", mt), nil)
	}
	env, err := soap.ParseBytes(root, lim.XML)
	if err != nil {
		return nil, ebErr(ebms.InvalidHeader, "SOAP envelope", err)
	}
	rc.env = env
	return rc, nil
}

// checkMustUnderstand refuses a header block for us with mustUnderstand that
// is neither eb:Messaging nor wsse:Security (SOAP 1.2 §5.2.3, §5.4.8). The
// error wraps soap.ErrMustUnderstand so the transport can answer with a SOAP
// MustUnderstand fault.
func checkMustUnderstand(env *soap.Envelope) error {
	err := env.CheckMustUnderstand(func(b *etree.Element) bool {
		return xmlsafe.Is(b, ebms.NS, "Messaging") || xmlsafe.Is(b, wssec.NSWSSE, "Security")
	})
	if err != nil {
		return ebErr(ebms.InvalidHeader, "header not understood", err)
	}
	return nil
}

// messaging returns the one eb:Messaging header block and its unverified parse.
func (rc *received) messaging() (*etree.Element, *ebms.Messaging, error) {
	if rc.env.Header == nil {
		return nil, nil, ebErr(ebms.InvalidHeader, "no SOAP Header", nil)
	}
	mels := rc.env.HeaderBlocks(ebms.NS, "Messaging")
	if len(mels) != 1 {
		return nil, nil, ebErr(ebms.InvalidHeader, fmt.Sprintf("%d eb:Messaging header blocks, want 1", len(mels)), nil)
	}
	m, err := ebms.ParseMessaging(mels[0])
	if err != nil {
		var e *ebms.Error
		if errors.As(err, &e) {
			return nil, nil, err
		}
		return nil, nil, ebErr(ebms.InvalidHeader, "eb:Messaging", err)
	}
	return mels[0], m, nil
}

// Unpack reads a received user message from body (with the HTTP Content-Type
// contentType), and returns it only when everything verified. Every error is
// an *ebms.Error.
func (u *Unpacker) Unpack(contentType string, body io.Reader) (*Verified, error) {
	lim := u.limits()
	rc, err := readMessage(contentType, body, lim)
	if err != nil {
		return nil, err
	}
	if rc.env.Version != soap.NS12 { // eDelivery AS4 1.15: SOAP 1.2 only
		return nil, ebErr(ebms.InvalidHeader, "not a SOAP 1.2 envelope", nil)
	}
	if err := checkMustUnderstand(rc.env); err != nil {
		return nil, err
	}
	mel, unverified, err := rc.messaging()
	if err != nil {
		return nil, err
	}
	if unverified.UserMessage == nil {
		return nil, ebErr(ebms.InvalidHeader, "eb:Messaging holds no eb:UserMessage", nil)
	}
	profile, err := u.pick(unverified)
	if err != nil {
		return nil, err
	}
	s, err := suiteFor(profile)
	if err != nil {
		return nil, ebErr(ebms.ProcessingModeMismatch, "profile", err)
	}
	sec, ids, err := security(rc.env)
	if err != nil {
		return nil, err
	}
	if err := precheck(rc, sec, mel, s.require); err != nil {
		return nil, err
	}
	if err := u.decrypt(sec, rc, s); err != nil {
		return nil, err
	}
	sr, err := verifySignature(rc, sec, ids, s, u.Known)
	if err != nil {
		return nil, err
	}
	if err := sr.require(rc, mel, s.require); err != nil {
		return nil, err
	}
	// Act only on the verified element from here on.
	verified, err := ebms.ParseMessaging(sr.messaging)
	if err != nil {
		return nil, err
	}
	again, err := u.pick(verified)
	if err != nil {
		return nil, err
	}
	if again.ID != profile.ID {
		return nil, ebErr(ebms.ProcessingModeMismatch, fmt.Sprintf("verified header selects profile %q, unverified %q", again.ID, profile.ID), nil)
	}
	if err := checkTimestamp(sec, sr, u.Trust, lim.ClockSkew); err != nil {
		return nil, err
	}
	chain, err := checkTrust(u.Trust, sr.signer, sec)
	if err != nil {
		return nil, err
	}
	payloads, err := openPayloads(verified.UserMessage, rc, sr, lim.MaxDecompressed)
	if err != nil {
		return nil, err
	}
	return &Verified{Profile: profile, Messaging: verified, MessagingElement: sr.messaging, Payloads: payloads,
		Signer: sr.signer, Chain: chain, References: sr.refCopies()}, nil
}

func (u *Unpacker) pick(m *ebms.Messaging) (Profile, error) {
	if u.Select == nil {
		return u.Profile, nil
	}
	p, err := u.Select(m)
	if err != nil {
		var e *ebms.Error
		if errors.As(err, &e) {
			return Profile{}, err
		}
		return Profile{}, ebErr(ebms.ProcessingModeMismatch, "no PMode for this message", err)
	}
	return p, nil
}

// security finds the wsse:Security header and indexes the envelope's ids.
// A message without it is unsigned: EBMS:0103 (eDelivery AS4 1.15, AS4_CP_TA12).
func security(env *soap.Envelope) (*wssec.Security, map[string]*etree.Element, error) {
	ids, err := wssec.IndexIDs(env.Root)
	if err != nil { // the same id twice: signature wrapping
		return nil, nil, ebErr(ebms.FailedAuthentication, "duplicate id", err)
	}
	el, err := wssec.FindSecurity(env.Header, env.Version)
	if err != nil {
		return nil, nil, ebErr(ebms.PolicyNoncompliance, "message not signed", err)
	}
	sec, err := wssec.ParseSecurity(el)
	if err != nil {
		return nil, nil, ebErr(ebms.PolicyNoncompliance, "wsse:Security", err)
	}
	if sec.Signature == nil {
		return nil, nil, ebErr(ebms.PolicyNoncompliance, "message not signed", nil)
	}
	return sec, ids, nil
}

// precheck fails fast, before any decryption, when the (still unverified)
// SignedInfo does not even list the parts the profile requires signed
// (AS4_CP_TA12). The binding check on the verified signature is require.
func precheck(rc *received, sec *wssec.Security, mel *etree.Element, req pmode.SignedParts) error {
	sig, err := xmldsig.ParseSignature(sec.Signature)
	if err != nil {
		return ebErr(ebms.FailedAuthentication, "ds:Signature", err)
	}
	listed := map[string]bool{}
	for _, r := range sig.References {
		if strings.HasPrefix(strings.ToLower(r.URI), "cid:") {
			if cid, err := mime.NormalizeCID(r.URI); err == nil {
				listed["cid:"+cid] = true
			}
			continue
		}
		listed[r.URI] = true
	}
	for _, p := range []struct {
		what string
		el   *etree.Element
		req  bool
	}{{"eb:Messaging", mel, req.Messaging}, {"SOAP Body", rc.env.Body, req.Body}} {
		if id, _ := wssec.WSUID(p.el); p.req && (id == "" || !listed["#"+id]) {
			return ebErr(ebms.PolicyNoncompliance, p.what+" is not signed", nil)
		}
	}
	for _, cid := range rc.order {
		if req.Attachments && !listed["cid:"+cid] {
			return ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("attachment %q is not signed", cid), nil)
		}
	}
	return nil
}

// checkTokenForm refuses a SecurityTokenReference form the profile does not
// accept (pmode AcceptTokenReferences; spec-facts §k 9).
func (s suite) checkTokenForm(keyInfo *etree.Element) error {
	var form pmode.TokenReference
	for _, str := range xmlsafe.Children(keyInfo, wssec.NSWSSE, "SecurityTokenReference") {
		for _, c := range str.ChildElements() {
			switch {
			case xmlsafe.Is(c, wssec.NSWSSE, "Reference"):
				form = pmode.TokenBST
			case xmlsafe.Is(c, wssec.NSWSSE, "KeyIdentifier"):
				form = pmode.TokenSKI
			case xmlsafe.Is(c, xmldsig.Namespace, "X509Data"):
				form = pmode.TokenIssuerSerial
			}
		}
	}
	if form == "" || !slices.Contains(s.tokens, form) {
		return ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("token reference form %q not accepted", form), nil)
	}
	return nil
}

// decrypt opens every attachment named by an EncryptedData of sec (SwA 1.1.1
// Attachment Encryption). The profile requires every attachment encrypted.
func (u *Unpacker) decrypt(sec *wssec.Security, rc *received, s suite) error {
	fail := func(detail string, err error) error { return ebErr(ebms.FailedDecryption, detail, err) }
	eds := map[string]*etree.Element{}
	for _, ed := range sec.EncryptedData {
		id, _ := xmlsafe.Attr(ed, "", "Id")
		if id == "" || eds[id] != nil {
			return fail("EncryptedData without a unique Id", nil)
		}
		eds[id] = ed
	}
	used := map[string]bool{}
	for _, el := range sec.EncryptedKeys {
		ek, err := xmlenc.ParseEncryptedKey(el)
		if err != nil {
			return fail("EncryptedKey", err)
		}
		cek, err := u.unwrap(sec, ek, s)
		if err != nil {
			return err
		}
		for _, ref := range ek.DataReferences {
			id, ok := strings.CutPrefix(ref, "#")
			if !ok || eds[id] == nil || used[id] {
				return fail(fmt.Sprintf("DataReference %q does not name an unused EncryptedData of this header", ref), nil)
			}
			used[id] = true
			if err := decryptPart(eds[id], cek, rc, s); err != nil {
				return err
			}
		}
	}
	if len(used) != len(eds) {
		return fail("EncryptedData not referenced by any EncryptedKey", nil)
	}
	if s.encryptParts {
		for _, cid := range rc.order {
			if !rc.parts[cid].decrypted {
				return ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("attachment %q is not encrypted", cid), nil)
			}
		}
	}
	return nil
}

func (u *Unpacker) unwrap(sec *wssec.Security, ek *xmlenc.EncryptedKey, s suite) ([]byte, error) {
	fail := func(detail string, err error) error { return ebErr(ebms.FailedDecryption, detail, err) }
	if u.Recipient.Cert == nil {
		return nil, fail("no decryption key configured", nil)
	}
	ki := ek.KeyInfo
	if ek.Agreement != nil {
		ki = ek.RecipientKeyInfo
	}
	if ki == nil {
		return nil, fail("EncryptedKey does not name its recipient", nil)
	}
	cert, err := sec.ResolveSTR(ki, []*x509.Certificate{u.Recipient.Cert})
	if err != nil || !cert.Equal(u.Recipient.Cert) {
		return nil, fail("EncryptedKey is not for our certificate", err)
	}
	switch {
	case ek.Transport != nil:
		if !slices.Contains(s.transports, ek.Transport.Algorithm) {
			return nil, ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("key transport %q", ek.Transport.Algorithm), nil)
		}
		if u.Recipient.Decrypter == nil {
			return nil, fail("no RSA decryption key", nil)
		}
		cek, err := ek.Transport.Unwrap(u.Recipient.Decrypter, ek.CipherValue)
		if err != nil {
			return nil, fail("unwrap content key", err)
		}
		return cek, nil
	case ek.Agreement != nil:
		if !slices.Contains(s.transports, ek.Agreement.Algorithm) {
			return nil, ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("key agreement %q", ek.Agreement.Algorithm), nil)
		}
		if u.Recipient.Agreement == nil {
			return nil, fail("no key agreement key", nil)
		}
		cek, err := ek.Agreement.Unwrap(u.Recipient.Agreement, ek.Ephemeral, ek.CipherValue)
		if err != nil {
			return nil, fail("unwrap content key", err)
		}
		return cek, nil
	}
	return nil, fail("EncryptedKey without key transport or agreement", nil)
}

func decryptPart(el *etree.Element, cek []byte, rc *received, s suite) error {
	fail := func(detail string, err error) error { return ebErr(ebms.FailedDecryption, detail, err) }
	ed, err := xmlenc.ParseEncryptedData(el)
	if err != nil {
		return fail("EncryptedData", err)
	}
	if wssec.URI(ed.Type) != wssec.AttachmentContentOnly { // eDelivery AS4: attachments only, content only
		return ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("EncryptedData Type %q", ed.Type), nil)
	}
	if !slices.Contains(s.contents, ed.Algorithm) {
		return ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("content encryption %q", ed.Algorithm), nil)
	}
	cr := ed.CipherReference
	if cr == nil || !slices.Equal(cr.Transforms, []string{string(wssec.AttachmentCiphertextTransform)}) {
		return fail("EncryptedData must reference its attachment with the Attachment-Ciphertext-Transform", nil)
	}
	if !strings.HasPrefix(strings.ToLower(cr.URI), "cid:") {
		return fail(fmt.Sprintf("CipherReference %q is not a cid: URI", cr.URI), nil)
	}
	cid, err := mime.NormalizeCID(cr.URI)
	if err != nil {
		return fail("CipherReference", err)
	}
	p := rc.parts[cid]
	if p == nil || p.decrypted {
		return fail(fmt.Sprintf("CipherReference %q names no (undecrypted) attachment", cr.URI), nil)
	}
	pt, err := xmlenc.Decrypt(ed.Algorithm, cek, p.data)
	if err != nil {
		return fail("attachment "+cid, err)
	}
	p.data, p.decrypted, p.encrypted = pt, true, true
	p.contentType = ed.MimeType
	if p.contentType == "" {
		p.contentType = "application/octet-stream"
	}
	return nil
}

// sigResult is a verified signature.
type sigResult struct {
	signer    *x509.Certificate
	verified  *xmldsig.Verified
	covered   map[*etree.Element]bool
	cids      map[string]bool
	messaging *etree.Element // set by require
}

func (sr *sigResult) refCopies() []*etree.Element {
	out := make([]*etree.Element, 0, len(sr.verified.References))
	for _, r := range sr.verified.References {
		out = append(out, copyInScope(r.RefElement))
	}
	return out
}

// verifySignature verifies the ds:Signature of sec and EVERY Reference in it.
func verifySignature(rc *received, sec *wssec.Security, ids map[string]*etree.Element, s suite, known []*x509.Certificate) (*sigResult, error) {
	sig, err := xmldsig.ParseSignature(sec.Signature)
	if err != nil {
		return nil, ebErr(ebms.FailedAuthentication, "ds:Signature", err)
	}
	if sig.KeyInfo == nil {
		return nil, ebErr(ebms.FailedAuthentication, "ds:Signature without KeyInfo", nil)
	}
	if err := s.checkTokenForm(sig.KeyInfo); err != nil {
		return nil, err
	}
	signer, err := sec.ResolveSTR(sig.KeyInfo, known)
	if err != nil {
		return nil, ebErr(ebms.FailedAuthentication, "signing certificate", err)
	}
	res := &resolver{ids: xmldsig.IDResolver{Root: rc.env.Root, IDs: ids, Signature: sec.Signature}, parts: rc.parts}
	v, err := sig.Verify(signer.PublicKey, res, s.policy())
	if err != nil {
		if errors.Is(err, xmldsig.ErrPolicy) || errors.Is(err, xmldsig.ErrUnsupported) {
			return nil, ebErr(ebms.PolicyNoncompliance, "signature algorithms", err)
		}
		return nil, ebErr(ebms.FailedAuthentication, "signature", err)
	}
	sr := &sigResult{signer: signer, verified: v, covered: map[*etree.Element]bool{}, cids: map[string]bool{}}
	for _, r := range v.References {
		if r.Element != nil {
			sr.covered[r.Element] = true
		}
		if strings.HasPrefix(strings.ToLower(r.URI), "cid:") {
			cid, err := mime.NormalizeCID(r.URI)
			if err != nil {
				return nil, ebErr(ebms.FailedAuthentication, "reference", err)
			}
			sr.cids[cid] = true
		}
	}
	return sr, nil
}

// require checks that the signature covers the parts eDelivery AS4 1.15
// demands (AS4_CP_TA12): eb:Messaging — the very element that is a child of
// soap:Header and that the caller will read —, the SOAP Body and every
// attachment.
func (sr *sigResult) require(rc *received, mel *etree.Element, req pmode.SignedParts) error {
	if mel.Parent() != rc.env.Header {
		return ebErr(ebms.InvalidHeader, "eb:Messaging is not a header block", nil)
	}
	if req.Messaging && !sr.covered[mel] {
		return ebErr(ebms.PolicyNoncompliance, "eb:Messaging is not signed", nil)
	}
	if req.Body && !sr.covered[rc.env.Body] {
		return ebErr(ebms.PolicyNoncompliance, "SOAP Body is not signed", nil)
	}
	for _, cid := range rc.order {
		if req.Attachments && !sr.cids[cid] {
			return ebErr(ebms.PolicyNoncompliance, fmt.Sprintf("attachment %q is not signed", cid), nil)
		}
	}
	sr.messaging = mel
	return nil
}

// resolver resolves the references of an AS4 signature: "#id" within the
// envelope and "cid:" attachments with the Attachment-Content-Signature-Transform.
type resolver struct {
	ids   xmldsig.IDResolver
	parts map[string]*attachment
}

func (r *resolver) Resolve(ref xmldsig.Reference) ([]byte, *etree.Element, error) {
	switch {
	case strings.HasPrefix(ref.URI, "#"):
		return r.ids.Resolve(ref)
	case strings.HasPrefix(strings.ToLower(ref.URI), "cid:"):
		if !slices.Equal(ref.Transforms, []xmldsig.Transform{xmldsig.Transform(wssec.AttachmentContentSignatureTransform)}) {
			return nil, nil, fmt.Errorf("as4: attachment reference %q: transforms %v, want the Attachment-Content-Signature-Transform alone: %w", ref.URI, ref.Transforms, xmldsig.ErrUnsupported)
		}
		cid, err := mime.NormalizeCID(ref.URI)
		if err != nil {
			return nil, nil, fmt.Errorf("as4: %v: %w", err, xmldsig.ErrReference)
		}
		p := r.parts[cid]
		if p == nil {
			return nil, nil, fmt.Errorf("as4: no attachment %q: %w", cid, xmldsig.ErrReference)
		}
		if p.encrypted && !p.decrypted {
			return nil, nil, fmt.Errorf("as4: attachment %q still encrypted: %w", cid, xmldsig.ErrReference)
		}
		data, err := wssec.AttachmentContent(p.contentType, p.data)
		if err != nil {
			return nil, nil, fmt.Errorf("as4: attachment %q: %w", cid, err)
		}
		return data, nil, nil
	}
	return nil, nil, fmt.Errorf("as4: reference URI %q: only #id and cid: are used in AS4: %w", ref.URI, xmldsig.ErrUnsupported)
}

func checkTimestamp(sec *wssec.Security, sr *sigResult, st *trust.Store, skew time.Duration) error {
	if sec.Timestamp == nil { // spec-facts §k 8: accept with or without
		return nil
	}
	if !sr.covered[sec.Timestamp.Element] {
		return ebErr(ebms.PolicyNoncompliance, "wsu:Timestamp is not signed", nil)
	}
	if st == nil || st.Now == nil {
		return ebErr(ebms.FailedAuthentication, "no clock", nil)
	}
	if err := sec.Timestamp.Check(st.Now(), skew); err != nil {
		return ebErr(ebms.FailedAuthentication, "timestamp", err)
	}
	return nil
}

func checkTrust(st *trust.Store, signer *x509.Certificate, sec *wssec.Security) ([]*x509.Certificate, error) {
	if st == nil {
		return nil, ebErr(ebms.FailedAuthentication, "no trust store", nil)
	}
	var extra []*x509.Certificate
	for _, t := range sec.Tokens {
		extra = append(extra, t.Cert)
	}
	chain, err := st.Verify(signer, extra, trust.Signing)
	if err != nil {
		return nil, ebErr(ebms.FailedAuthentication, "signer not trusted", err)
	}
	return chain, nil
}

// openPayloads matches PartInfo to attachments and decompresses.
func openPayloads(um *ebms.UserMessage, rc *received, sr *sigResult, max int64) ([]VerifiedPayload, error) {
	used := map[string]bool{}
	budget := max
	var out []VerifiedPayload
	for _, pi := range um.Payloads {
		vp := VerifiedPayload{Href: pi.Href, MimeType: pi.MimeType(), CharacterSet: pi.CharacterSet(), Properties: pi.Properties}
		if vp.MimeType == "" { // eDelivery AS4 1.15: MimeType REQUIRED (AS4_CP_TA25/TA26)
			return nil, ebErr(ebms.ValueInconsistent, fmt.Sprintf("eb:PartInfo %q without MimeType", pi.Href), nil)
		}
		var data []byte
		if cid, ok := pi.ContentID(); ok {
			n, err := mime.NormalizeCID("cid:" + cid)
			if err != nil {
				return nil, ebErr(ebms.ExternalPayloadError, "PartInfo href", err)
			}
			p := rc.parts[n]
			if p == nil || used[n] {
				return nil, ebErr(ebms.ExternalPayloadError, fmt.Sprintf("eb:PartInfo %q names no attachment", pi.Href), nil)
			}
			used[n] = true
			vp.ContentID, data = n, p.data
		} else {
			// A payload in the SOAP Body (AS4_CP_TA22): the Body is signed.
			el, err := bodyPayload(rc.env, pi.Href)
			if err != nil {
				return nil, err
			}
			if data, err = c14n.Canonicalize(c14n.ExcC14N, el, nil, nil); err != nil {
				return nil, ebErr(ebms.ValueInconsistent, "body payload", err)
			}
		}
		data, err := Decompress(pi, data, budget)
		if err != nil {
			return nil, err
		}
		budget -= int64(len(data))
		vp.Data = data
		out = append(out, vp)
	}
	for _, cid := range rc.order {
		if !used[cid] {
			return nil, ebErr(ebms.ValueInconsistent, fmt.Sprintf("attachment %q is not described by any eb:PartInfo", cid), nil)
		}
	}
	return out, nil
}

func bodyPayload(env *soap.Envelope, href string) (*etree.Element, error) {
	kids := env.BodyElements()
	if href == "" {
		if len(kids) != 1 {
			return nil, ebErr(ebms.ValueInconsistent, fmt.Sprintf("PartInfo without href but the Body holds %d elements", len(kids)), nil)
		}
		return kids[0], nil
	}
	id := strings.TrimPrefix(href, "#")
	for _, k := range kids {
		for _, name := range wssec.IDAttrs() {
			if v, ok := xmlsafe.Attr(k, name.Space, name.Local); ok && v == id {
				return k, nil
			}
		}
	}
	return nil, ebErr(ebms.ExternalPayloadError, fmt.Sprintf("PartInfo %q names no element of the Body", href), nil)
}

// Decompress returns data decompressed as pi's CompressionType says (AS4
// Profile §3.1: application/gzip; none: data as is), at most max bytes. A
// failure is EBMS:0303 DecompressionFailure (AS4_CP_TA30).
func Decompress(pi ebms.PartInfo, data []byte, max int64) ([]byte, error) {
	ct := pi.CompressionType()
	if ct == "" {
		return data, nil
	}
	if ct != ebms.CompressionGzip {
		return nil, ebErr(ebms.DecompressionFailure, fmt.Sprintf("CompressionType %q", ct), nil)
	}
	d, err := gunzip(data, max)
	if err != nil {
		return nil, ebErr(ebms.DecompressionFailure, fmt.Sprintf("payload %q", pi.Href), err)
	}
	return d, nil
}

var errTooBig = errors.New("as4: decompressed payload exceeds the limit")

func gunzip(b []byte, max int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > max {
		return nil, errTooBig
	}
	if err := zr.Close(); err != nil {
		return nil, err
	}
	return out, nil
}
