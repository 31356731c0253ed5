package mime

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
)

// bufSize is the Reader's window on the stream. It bounds how much of an
// attachment is held in memory at once and must exceed a delimiter line.
const bufSize = 32 << 10

// maxBoundary is RFC 2046 §5.1.1: "boundary := 0*69<bchars> bcharsnospace".
const maxBoundary = 70

// Reader reads a multipart/related message part by part. Call Root first,
// then Next until io.EOF. A Reader is not safe for concurrent use.
type Reader struct {
	lim      Limits
	br       *bufio.Reader
	boundary string
	delim    []byte // "\n--" + boundary: a delimiter line, CR optional before it
	rootType string // the type parameter, lower case
	start    string // the start parameter as a bare Content-ID, "" if absent

	parts    int
	cids     map[string]bool
	cur      *partReader
	done     bool // the close delimiter has been read
	err      error
	rootRead bool
	rootHdr  textproto.MIMEHeader
	rootBody []byte
	rootErr  error
}

// Part is one attachment. Body yields the decoded content and fails with
// ErrLimit once more than Limits.MaxPartBytes have been read from the wire.
// Body is valid until the next call to Next.
type Part struct {
	ContentID string // bare, as NormalizeCID returns it
	Header    textproto.MIMEHeader
	Body      io.Reader
}

// NewReader checks the message's Content-Type and prepares to read body.
//
// contentType must be multipart/related (SwA §2, eDelivery AS4 1.15 §2.1)
// with a boundary (RFC 2046 §5.1.1) and a type parameter naming a SOAP media
// type (RFC 2387 §3.1: "The type parameter must be specified"; SwA §2: the
// type is that of the SOAP envelope). A start parameter, when present, names
// the root part (RFC 2387 §3.2); Root checks it against the first part.
func NewReader(contentType string, body io.Reader, lim Limits) (*Reader, error) {
	if lim.MaxParts < 1 || lim.MaxHeaderBytes < 1 || lim.MaxRootBytes < 1 || lim.MaxPartBytes < 0 {
		return nil, fmt.Errorf("mime: new reader: %w: limits must be positive", ErrLimit)
	}
	mt, params, err := stdmime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("mime: content-type %q: %w: %w", contentType, ErrMediaType, err)
	}
	if mt != MultipartRelated {
		return nil, fmt.Errorf("mime: content-type %q: %w: want %s", mt, ErrMediaType, MultipartRelated)
	}
	b := params["boundary"]
	if b == "" || len(b) > maxBoundary || strings.ContainsAny(b, "\r\n") || strings.HasSuffix(b, " ") {
		return nil, fmt.Errorf("mime: content-type: %w: boundary %q invalid (RFC 2046 §5.1.1)", ErrMediaType, b)
	}
	typ, ok := params["type"]
	if !ok {
		return nil, fmt.Errorf("mime: content-type: %w: no type parameter (RFC 2387 §3.1)", ErrMediaType)
	}
	typ = strings.ToLower(strings.TrimSpace(typ))
	if typ != SOAP12 && typ != SOAP11 {
		return nil, fmt.Errorf("mime: content-type: %w: type %q is not a SOAP media type (SwA §2)", ErrMediaType, typ)
	}
	var start string
	if s, ok := params["start"]; ok {
		if start, err = NormalizeCID(s); err != nil {
			return nil, fmt.Errorf("mime: start parameter: %w: %w", ErrMediaType, err)
		}
	}
	return &Reader{
		lim:      lim,
		br:       bufio.NewReaderSize(body, bufSize),
		boundary: b,
		delim:    []byte("\n--" + b),
		rootType: typ,
		start:    start,
		cids:     make(map[string]bool),
	}, nil
}

// RootType returns the type parameter of the message: SOAP12 or SOAP11.
func (r *Reader) RootType() string { return r.rootType }

// Root returns the root part: the SOAP envelope, read whole and decoded.
// SwA §2 carries the SOAP message in the root part, and with no start
// parameter RFC 2387 §3.2 makes the first part the root. RFC 2387 would let
// a start parameter name a later part; Root does not follow it there but
// requires the first part to carry that Content-ID, as phase4 and Domibus
// send it, so that the envelope is always read before any attachment and
// never has to be searched for (a deliberate restriction). Its media type
// must equal the type parameter (RFC 2387 §3.1). Root may be called more
// than once and returns the same values.
func (r *Reader) Root() (textproto.MIMEHeader, []byte, error) {
	if !r.rootRead {
		r.rootRead = true
		r.rootHdr, r.rootBody, r.rootErr = r.readRoot()
		if r.rootErr != nil {
			r.fail(r.rootErr)
		}
	}
	if r.rootErr != nil {
		return nil, nil, r.rootErr
	}
	return r.rootHdr, r.rootBody, nil
}

func (r *Reader) readRoot() (textproto.MIMEHeader, []byte, error) {
	if err := r.skipPreamble(); err != nil {
		return nil, nil, err
	}
	hdr, err := r.nextHeader()
	if err != nil {
		return nil, nil, fmt.Errorf("mime: root part: %w", err)
	}
	mt, _, err := stdmime.ParseMediaType(hdr.Get("Content-Type"))
	if err != nil {
		return nil, nil, fmt.Errorf("mime: root part content-type %q: %w: %w", hdr.Get("Content-Type"), ErrMediaType, err)
	}
	if mt != r.rootType { // RFC 2387 §3.1: type is the media type of the root
		return nil, nil, fmt.Errorf("mime: root part: %w: content-type %s, type parameter %s", ErrMediaType, mt, r.rootType)
	}
	if cid := hdr.Get("Content-ID"); cid != "" {
		n, err := NormalizeCID(cid)
		if err != nil {
			return nil, nil, fmt.Errorf("mime: root part: %w", err)
		}
		r.cids[n] = true
		if r.start != "" && n != r.start {
			return nil, nil, fmt.Errorf("mime: root part: %w: first part is %q, start names %q (SwA §2: SOAP part first)", ErrMediaType, n, r.start)
		}
	} else if r.start != "" {
		return nil, nil, fmt.Errorf("mime: root part: %w: first part has no Content-ID, start names %q", ErrMediaType, r.start)
	}
	body, err := r.bodyReader(hdr, r.lim.MaxRootBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("mime: root part: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(body, r.lim.MaxRootBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("mime: root part: %w", err)
	}
	if int64(len(b)) > r.lim.MaxRootBytes {
		return nil, nil, fmt.Errorf("mime: root part: %w: more than %d bytes", ErrLimit, r.lim.MaxRootBytes)
	}
	if err := r.drain(); err != nil {
		return nil, nil, fmt.Errorf("mime: root part: %w", err)
	}
	return hdr, b, nil
}

// Next returns the next attachment, or io.EOF after the last. Any unread rest
// of the previous attachment is skipped. Every attachment must carry a
// Content-ID unique in the message, since eb:PartInfo@href and the SwA
// signature and encryption references name parts only by it (ebMS 3.0 Core
// §5.2.2.13, WSS SwA Profile 1.1 §4.1 and RFC 2392).
func (r *Reader) Next() (*Part, error) {
	if _, _, err := r.Root(); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := r.drain(); err != nil {
		return nil, r.fail(err)
	}
	if r.done {
		return nil, io.EOF
	}
	hdr, err := r.nextHeader()
	if err != nil {
		return nil, r.fail(fmt.Errorf("mime: part %d: %w", r.parts, err))
	}
	raw := hdr.Get("Content-ID")
	if raw == "" {
		return nil, r.fail(fmt.Errorf("mime: part %d: %w: missing", r.parts, ErrContentID))
	}
	cid, err := NormalizeCID(raw)
	if err != nil {
		return nil, r.fail(fmt.Errorf("mime: part %d: %w", r.parts, err))
	}
	if r.cids[cid] {
		return nil, r.fail(fmt.Errorf("mime: part %d: %w: duplicate %q", r.parts, ErrContentID, cid))
	}
	r.cids[cid] = true
	body, err := r.bodyReader(hdr, r.lim.MaxPartBytes)
	if err != nil {
		return nil, r.fail(fmt.Errorf("mime: part %q: %w", cid, err))
	}
	return &Part{ContentID: cid, Header: hdr, Body: body}, nil
}

// fail records err as the Reader's sticky error and returns it.
func (r *Reader) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return err
}

// drain skips what is left of the current part.
func (r *Reader) drain() error {
	if r.cur == nil {
		return nil
	}
	pr := r.cur
	r.cur = nil
	if _, err := io.Copy(io.Discard, pr); err != nil {
		return err
	}
	return nil
}

// skipPreamble reads up to and including the first delimiter line
// (RFC 2046 §5.1.1: the preamble before it is to be ignored).
func (r *Reader) skipPreamble() error {
	dash := "--" + r.boundary
	read := 0
	for {
		line, err := r.readLine(r.lim.MaxHeaderBytes - read)
		if err != nil {
			return fmt.Errorf("mime: preamble: %w", err)
		}
		read += len(line)
		t := trimLWSP(strings.TrimRight(string(line), "\r\n"))
		if t == dash {
			return nil
		}
		if t == dash+"--" {
			return fmt.Errorf("mime: %w: no parts", ErrSyntax)
		}
	}
}

// readLine reads one line (through '\n') of at most max bytes.
func (r *Reader) readLine(max int) ([]byte, error) {
	var line []byte
	for {
		if max <= 0 {
			return nil, fmt.Errorf("%w: header or preamble too long", ErrLimit)
		}
		chunk, err := r.br.ReadSlice('\n')
		if len(chunk) > max {
			return nil, fmt.Errorf("%w: header or preamble too long", ErrLimit)
		}
		max -= len(chunk)
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("%w: unexpected end of message", ErrSyntax)
		default:
			return nil, fmt.Errorf("mime: read: %w", err)
		}
	}
}

// nextHeader reads a part's header block (RFC 2045 §3, RFC 5322 §2.2) after a
// delimiter line, and counts the part.
func (r *Reader) nextHeader() (textproto.MIMEHeader, error) {
	r.parts++
	if r.parts > r.lim.MaxParts {
		return nil, fmt.Errorf("%w: more than %d parts", ErrLimit, r.lim.MaxParts)
	}
	var block []byte
	for {
		line, err := r.readLine(r.lim.MaxHeaderBytes - len(block))
		if err != nil {
			return nil, err
		}
		block = append(block, line...)
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(block))).ReadMIMEHeader()
	if err != nil {
		return nil, fmt.Errorf("%w: part header: %w", ErrSyntax, err)
	}
	// A field that names or decodes the part must not be given twice:
	// readers that take the first and readers that take the last would see
	// different parts (RFC 2045 §3 allows each once).
	for _, k := range []string{"Content-Id", "Content-Type", "Content-Transfer-Encoding"} {
		if len(h[k]) > 1 {
			return nil, fmt.Errorf("%w: part header: %s given %d times", ErrSyntax, k, len(h[k]))
		}
	}
	return h, nil
}

// bodyReader returns the decoded body of the part whose header was just read.
func (r *Reader) bodyReader(h textproto.MIMEHeader, max int64) (io.Reader, error) {
	pr := &partReader{r: r, max: max}
	r.cur = pr
	var dec io.Reader
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "", "7bit", "8bit", "binary":
		return pr, nil
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, pr)
	case "quoted-printable":
		dec = quotedprintable.NewReader(pr)
	default:
		return nil, fmt.Errorf("%w: %q (RFC 2045 §6.1)", ErrEncoding, cte)
	}
	return &decodeReader{dec: dec}, nil
}

// decodeReader reports decoding failures as ErrEncoding and passes the raw
// reader's own errors through.
type decodeReader struct{ dec io.Reader }

func (d *decodeReader) Read(p []byte) (int, error) {
	n, err := d.dec.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrSyntax) {
		err = fmt.Errorf("mime: decode: %w: %w", ErrEncoding, err)
	}
	return n, err
}

// partReader yields a part's raw bytes up to the next delimiter line. Per
// RFC 2046 §5.1.1 the CRLF before "--boundary" belongs to the delimiter; a
// bare LF is accepted too (phase4's WrongCompression.mime uses LF only).
type partReader struct {
	r   *Reader
	n   int64 // bytes returned so far
	max int64
	eof bool
	err error
}

func (pr *partReader) Read(p []byte) (int, error) {
	if pr.err != nil {
		return 0, pr.err
	}
	if pr.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := pr.read(p)
	if n > 0 {
		pr.n += int64(n)
		if pr.n > pr.max {
			pr.err = fmt.Errorf("mime: part: %w: more than %d bytes", ErrLimit, pr.max)
			return 0, pr.err
		}
	}
	if err != nil && err != io.EOF {
		pr.err = err
		pr.r.fail(err)
	}
	return n, err
}

func (pr *partReader) read(p []byte) (int, error) {
	br, delim := pr.r.br, pr.r.delim
	// Look only as far as this Read can reach (plus a delimiter and its CR),
	// so that small reads neither rescan nor refill the whole window.
	need := min(len(p)+len(delim)+2, bufSize)
	buf, perr := br.Peek(need)
	if perr != nil && !errors.Is(perr, io.EOF) && !errors.Is(perr, bufio.ErrBufferFull) {
		return 0, fmt.Errorf("mime: read: %w", perr)
	}
	i := bytes.Index(buf, delim)
	if i < 0 {
		if len(buf) < need { // the stream ended without a delimiter
			return 0, fmt.Errorf("mime: %w: missing closing delimiter", ErrSyntax)
		}
		// No delimiter starts before len(buf)-len(delim)+1, so these bytes
		// (and no CR of a later delimiter) are content.
		return pr.emit(p, buf[:min(len(buf)-len(delim), len(p))])
	}
	end := i
	if end > 0 && buf[end-1] == '\r' {
		end--
	}
	if end > 0 {
		return pr.emit(p, buf[:min(end, len(p))])
	}
	// A candidate delimiter starts the window: it ends the part if it is
	// followed by "--" (close delimiter) or by optional LWSP and a line break.
	buf, perr = br.Peek(bufSize)
	if perr != nil && !errors.Is(perr, io.EOF) && !errors.Is(perr, bufio.ErrBufferFull) {
		return 0, fmt.Errorf("mime: read: %w", perr)
	}
	rest := buf[i+len(delim):]
	if bytes.HasPrefix(rest, []byte("--")) {
		_, _ = br.Discard(i + len(delim) + 2)
		pr.eof, pr.r.done = true, true
		return 0, io.EOF
	}
	j := 0
	for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t') {
		j++
	}
	switch {
	case j < len(rest) && rest[j] == '\n':
		_, _ = br.Discard(i + len(delim) + j + 1)
		pr.eof = true
		return 0, io.EOF
	case j+1 < len(rest) && rest[j] == '\r' && rest[j+1] == '\n':
		_, _ = br.Discard(i + len(delim) + j + 2)
		pr.eof = true
		return 0, io.EOF
	case j == len(rest) || (j+1 == len(rest) && rest[j] == '\r'):
		return 0, fmt.Errorf("mime: %w: truncated delimiter line", ErrSyntax)
	}
	// The boundary text followed by something else is content.
	return pr.emit(p, buf[:min(i+1, len(p))])
}

func (pr *partReader) emit(p, data []byte) (int, error) {
	n := copy(p, data)
	_, _ = pr.r.br.Discard(n)
	return n, nil
}

func trimLWSP(s string) string { return strings.TrimRight(s, " \t") }
