package mime

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"net/textproto"
	"sort"
	"strings"
)

// Writer writes a multipart/related message: first the root (SOAP) part, then
// the attachments. A Writer is not safe for concurrent use.
//
// The output looks like phase4's and Domibus's:
//
//	Content-Type: multipart/related; boundary="----=_Part_…"; type="application/soap+xml"; start="<root@brevduva>"
//
//	------=_Part_…
//	Content-Type: application/soap+xml; charset=UTF-8
//	Content-Transfer-Encoding: binary
//	Content-ID: <root@brevduva>
//
//	<S12:Envelope …>
//	------=_Part_…
//	Content-Type: application/gzip
//	Content-Transfer-Encoding: binary
//	Content-ID: <message>
//
//	…
//	------=_Part_…--
type Writer struct {
	w        io.Writer
	rootType string
	boundary string
	rootCID  string
	cids     map[string]bool
	started  bool // anything written
	root     bool // root part written
	closed   bool
}

// NewWriter returns a Writer with a random boundary and root Content-ID.
// rootType is the media type of the SOAP envelope, normally SOAP12.
func NewWriter(w io.Writer, rootType string) *Writer {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	h := hex.EncodeToString(b[:])
	return &Writer{
		w:        w,
		rootType: rootType,
		boundary: "----=_Part_" + h,
		rootCID:  "root-" + h[:16] + "@brevduva",
		cids:     make(map[string]bool),
	}
}

// SetBoundary overrides the random boundary; it must be called before
// anything is written. b must be 1–70 characters of RFC 2046 §5.1.1 bchars
// and not end in a space.
func (w *Writer) SetBoundary(b string) error {
	if w.started {
		return errors.New("mime: set boundary: parts already written")
	}
	if b == "" || len(b) > maxBoundary || strings.HasSuffix(b, " ") {
		return fmt.Errorf("mime: set boundary %q: %w: length 1-70, no trailing space (RFC 2046 §5.1.1)", b, ErrSyntax)
	}
	for _, c := range b {
		if !isBChar(c) {
			return fmt.Errorf("mime: set boundary %q: %w: character %q (RFC 2046 §5.1.1)", b, ErrSyntax, c)
		}
	}
	w.boundary = b
	return nil
}

// SetRootContentID overrides the random Content-ID of the root part (bare,
// without angle brackets); it must be called before anything is written.
func (w *Writer) SetRootContentID(cid string) error {
	if w.started {
		return errors.New("mime: set root content-id: parts already written")
	}
	if err := checkCID(cid); err != nil {
		return fmt.Errorf("mime: set root content-id: %w", err)
	}
	w.rootCID = cid
	return nil
}

// Boundary returns the boundary in use.
func (w *Writer) Boundary() string { return w.boundary }

// RootContentID returns the bare Content-ID of the root part.
func (w *Writer) RootContentID() string { return w.rootCID }

// ContentType returns the Content-Type of the whole message: multipart/related
// with boundary, type (RFC 2387 §3.1) and start (RFC 2387 §3.2).
func (w *Writer) ContentType() string {
	return `multipart/related; boundary="` + w.boundary + `"; type="` + w.rootType + `"; start="<` + w.rootCID + `>"`
}

// WriteRoot writes the root part holding the SOAP envelope. It must be the
// first part (SwA §2).
func (w *Writer) WriteRoot(soap []byte) error {
	if w.closed || w.root || w.started {
		return errors.New("mime: write root: root must be the first part, written once")
	}
	if mt, _, err := stdmime.ParseMediaType(w.rootType); err != nil || mt != w.rootType {
		return fmt.Errorf("mime: write root: %w: root type %q is not a bare media type", ErrMediaType, w.rootType)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", w.rootType+"; charset=UTF-8")
	if err := w.writeHeader(w.rootCID, h); err != nil {
		return fmt.Errorf("mime: write root: %w", err)
	}
	w.root = true
	if _, err := w.w.Write(soap); err != nil {
		return fmt.Errorf("mime: write root: %w", err)
	}
	return nil
}

// CreatePart starts an attachment with the bare Content-ID cid and the given
// Content-Type, plus any extra headers (Content-Type, Content-ID and
// Content-Transfer-Encoding in extra are ignored). The returned writer takes
// the raw content; it is valid until the next CreatePart or Close.
func (w *Writer) CreatePart(cid, contentType string, extra textproto.MIMEHeader) (io.Writer, error) {
	if w.closed || !w.root {
		return nil, errors.New("mime: create part: write the root part first")
	}
	if err := checkCID(cid); err != nil {
		return nil, fmt.Errorf("mime: create part: %w", err)
	}
	if w.cids[cid] || cid == w.rootCID {
		return nil, fmt.Errorf("mime: create part: %w: duplicate %q", ErrContentID, cid)
	}
	if contentType == "" || strings.ContainsAny(contentType, "\r\n") {
		return nil, fmt.Errorf("mime: create part %q: %w: bad content type %q", cid, ErrSyntax, contentType)
	}
	h := textproto.MIMEHeader{}
	for k, vs := range extra {
		switch textproto.CanonicalMIMEHeaderKey(k) {
		case "Content-Type", "Content-Id", "Content-Transfer-Encoding":
			continue
		}
		for _, v := range vs {
			if strings.ContainsAny(k+v, "\r\n") {
				return nil, fmt.Errorf("mime: create part %q: %w: line break in header %q", cid, ErrSyntax, k)
			}
			h.Add(k, v)
		}
	}
	h.Set("Content-Type", contentType)
	if err := w.writeHeader(cid, h); err != nil {
		return nil, fmt.Errorf("mime: create part %q: %w", cid, err)
	}
	w.cids[cid] = true
	return w.w, nil
}

// Close writes the close delimiter.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	if !w.root {
		return errors.New("mime: close: no root part")
	}
	w.closed = true
	if _, err := io.WriteString(w.w, "\r\n--"+w.boundary+"--\r\n"); err != nil {
		return fmt.Errorf("mime: close: %w", err)
	}
	return nil
}

// writeHeader writes a delimiter line and a part header: Content-Type first,
// then Content-Transfer-Encoding: binary, then the other headers sorted, then
// Content-ID, as phase4 orders them.
func (w *Writer) writeHeader(cid string, h textproto.MIMEHeader) error {
	var b strings.Builder
	if w.started {
		b.WriteString("\r\n")
	}
	w.started = true
	b.WriteString("--" + w.boundary + "\r\n")
	b.WriteString("Content-Type: " + h.Get("Content-Type") + "\r\n")
	b.WriteString("Content-Transfer-Encoding: binary\r\n")
	keys := make([]string, 0, len(h))
	for k := range h {
		if k != "Content-Type" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("Content-ID: <" + cid + ">\r\n\r\n")
	_, err := io.WriteString(w.w, b.String())
	return err
}

// checkCID accepts a bare Content-ID that NormalizeCID returns unchanged.
func checkCID(cid string) error {
	n, err := NormalizeCID(cid)
	if err != nil {
		return err
	}
	if n != cid {
		return fmt.Errorf("%w: %q is not a bare content-id", ErrContentID, cid)
	}
	return nil
}

// isBChar is RFC 2046 §5.1.1 bchars.
func isBChar(c rune) bool {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return true
	}
	return strings.ContainsRune("'()+_,-./:=? ", c)
}
