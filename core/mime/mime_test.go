package mime

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	stdmime "mime"
	"mime/multipart"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// splitDump splits a captured HTTP message (header lines, blank line, body),
// as phase4 stores its .as4in/.as4out dumps, into its header and body.
func splitDump(t testing.TB, path string) (textproto.MIMEHeader, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil {
		t.Fatalf("%s: header: %v", path, err)
	}
	body, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	return h, body
}

func TestPhase4DumpRaw(t *testing.T) {
	h, body := splitDump(t, "testdata/dump-raw.as4out")
	r, err := NewReader(h.Get("Content-Type"), bytes.NewReader(body), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if r.RootType() != SOAP12 {
		t.Errorf("RootType = %q", r.RootType())
	}
	rh, soap, err := r.Root()
	if err != nil {
		t.Fatal(err)
	}
	if got := rh.Get("Content-Type"); got != "application/soap+xml;charset=UTF-8" {
		t.Errorf("root Content-Type = %q", got)
	}
	// The root is exactly the bytes between its header and the next delimiter.
	const delim = "\r\n------=_Part_0_1950117092.1769701143986"
	start := bytes.Index(body, []byte("<?xml"))
	end := start + bytes.Index(body[start:], []byte(delim+"\r\n"))
	if !bytes.Equal(soap, body[start:end]) {
		t.Errorf("root body differs from the captured bytes (len %d vs %d)", len(soap), end-start)
	}
	const cid = "phase4-att-ff0f8ad5-f982-48ba-b8e2-26997600f496@cid"
	if !bytes.Contains(soap, []byte(`URI="cid:`+cid+`"`)) {
		t.Errorf("envelope does not reference cid:%s; the capture is not what the test assumes", cid)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentID != cid {
		t.Errorf("ContentID = %q, want %q", p.ContentID, cid)
	}
	if got := p.Header.Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("attachment Content-Type = %q", got)
	}
	att, err := io.ReadAll(p.Body)
	if err != nil {
		t.Fatal(err)
	}
	hdrEnd := bytes.Index(body, []byte("Content-ID: <"+cid+">\r\n\r\n")) + len("Content-ID: <"+cid+">\r\n\r\n")
	closeAt := bytes.Index(body, []byte(delim+"--"))
	if want := body[hdrEnd:closeAt]; !bytes.Equal(att, want) {
		t.Errorf("attachment: got %d bytes, want the %d captured bytes", len(att), len(want))
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after last part: %v, want io.EOF", err)
	}
}

func TestPhase4WrongCompression(t *testing.T) {
	h, body := splitDump(t, "testdata/WrongCompression.mime")
	r, err := NewReader(h.Get("Content-Type"), bytes.NewReader(body), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_, soap, err := r.Root()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(bytes.TrimSpace(soap), []byte("</S12:Envelope>")) {
		t.Errorf("root does not end with the envelope: %q", soap[max(0, len(soap)-40):])
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.ContentID != "ph-as4-0026b807-e599-40e2-af67-22f2e6fe4ddd" {
		t.Errorf("ContentID = %q", p.ContentID)
	}
	got, err := io.ReadAll(iotest.OneByteReader(p.Body))
	if err != nil {
		t.Fatal(err)
	}
	// Decode the captured base64 lines independently.
	i := bytes.Index(body, []byte("ph-as4-0026b807-e599-40e2-af67-22f2e6fe4ddd\n\n"))
	j := bytes.LastIndex(body, []byte("\n------=_Part_0_581318631.1482314477236--"))
	b64 := strings.ReplaceAll(string(body[i+len("ph-as4-0026b807-e599-40e2-af67-22f2e6fe4ddd\n\n"):j]), "\n", "")
	want, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("decoded attachment differs: %d vs %d bytes", len(got), len(want))
	}
	if len(got) < 2 || got[0] != 0x1f || got[1] != 0x8b {
		t.Errorf("attachment is not gzip: % x", got[:min(4, len(got))])
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after last part: %v, want io.EOF", err)
	}
}

// TestAgreesWithStdlib reads the captured messages and our own output with
// Go's mime/multipart, an independent parser, and compares the parts.
func TestAgreesWithStdlib(t *testing.T) {
	type msg struct {
		name, ct string
		body     []byte
	}
	var msgs []msg
	for _, p := range []string{"testdata/dump-raw.as4out", "testdata/WrongCompression.mime"} {
		h, body := splitDump(t, p)
		msgs = append(msgs, msg{p, h.Get("Content-Type"), body})
	}
	ct, body := writeMessage(t, "<S12:Envelope/>", []part{{"message", "application/gzip", "\x1f\x8b\r\n--x"}, {"b@x", "text/plain", ""}})
	msgs = append(msgs, msg{"writer", ct, body})
	for _, m := range msgs {
		_, params, err := stdmime.ParseMediaType(m.ct)
		if err != nil {
			t.Fatal(err)
		}
		std := multipart.NewReader(bytes.NewReader(m.body), params["boundary"])
		ours, err := NewReader(m.ct, bytes.NewReader(m.body), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			sp, serr := std.NextRawPart()
			var oh textproto.MIMEHeader
			var ob []byte
			var oerr error
			if i == 0 {
				oh, ob, oerr = ours.Root()
			} else {
				var p *Part
				if p, oerr = ours.Next(); oerr == nil {
					oh = p.Header
					ob, oerr = io.ReadAll(p.Body)
				}
			}
			if serr == io.EOF {
				if oerr != io.EOF {
					t.Errorf("%s: stdlib ends after %d parts, we go on: %v", m.name, i, oerr)
				}
				break
			}
			if serr != nil || oerr != nil {
				t.Fatalf("%s part %d: stdlib %v, ours %v", m.name, i, serr, oerr)
			}
			sb, err := io.ReadAll(sp)
			if err != nil {
				t.Fatal(err)
			}
			if strings.EqualFold(sp.Header.Get("Content-Transfer-Encoding"), "base64") {
				if sb, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(sb))); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(sb, ob) || sp.Header.Get("Content-Id") != oh.Get("Content-Id") {
				t.Errorf("%s part %d: stdlib %d bytes cid %q, ours %d bytes cid %q", m.name, i, len(sb), sp.Header.Get("Content-Id"), len(ob), oh.Get("Content-Id"))
			}
		}
	}
}

type part struct{ cid, ctype, body string }

func writeMessage(t testing.TB, soap string, parts []part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, SOAP12)
	if err := w.WriteRoot([]byte(soap)); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		pw, err := w.CreatePart(p.cid, p.ctype, textproto.MIMEHeader{"Content-Description": {"Attachment"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.ContentType(), buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	big := strings.Repeat("0123456789abcdef\r\n--", 5000) // longer than the window, CRLF-- inside
	parts := []part{
		{"message", "application/gzip", "\x1f\x8b binary\r\n\x00 data"},
		{"empty@x", "text/plain", ""},
		{"big@x", "application/octet-stream", big},
		{"crlf@x", "text/plain", "ends with CRLF\r\n"},
	}
	ct, msg := writeMessage(t, "<S12:Envelope/>", parts)
	for _, name := range []string{"whole", "one byte at a time"} {
		t.Run(name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(msg)
			if name != "whole" {
				body = iotest.OneByteReader(body)
			}
			r, err := NewReader(ct, body, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			_, soap, err := r.Root()
			if err != nil {
				t.Fatal(err)
			}
			if string(soap) != "<S12:Envelope/>" {
				t.Errorf("root = %q", soap)
			}
			for _, want := range parts {
				p, err := r.Next()
				if err != nil {
					t.Fatalf("part %s: %v", want.cid, err)
				}
				var rd io.Reader = p.Body
				if name != "whole" {
					rd = iotest.OneByteReader(rd)
				}
				got, err := io.ReadAll(rd)
				if err != nil {
					t.Fatalf("part %s: %v", want.cid, err)
				}
				if p.ContentID != want.cid || p.Header.Get("Content-Type") != want.ctype || string(got) != want.body {
					t.Errorf("part %s: got cid %q type %q body %d bytes", want.cid, p.ContentID, p.Header.Get("Content-Type"), len(got))
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("end: %v", err)
			}
		})
	}
}

// TestWindowEdges writes parts whose delimiter falls at every position
// around the end of the Reader's window and reads them with several buffer
// sizes.
func TestWindowEdges(t *testing.T) {
	var parts []part
	for n, i := bufSize-120, 0; n <= bufSize+120; n, i = n+13, i+1 {
		body := []byte(strings.Repeat("ab\r\n-", n/5+1))[:n]
		if n > 2 {
			body[n-1], body[n-2] = '\r', '-' // content ending in CR and dashes, like a delimiter's start
		}
		parts = append(parts, part{cid: "p" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), ctype: "application/octet-stream", body: string(body)})
	}
	ct, msg := writeMessage(t, "<e/>", parts)
	for _, size := range []int{1, 7, 4096, bufSize, 3 * bufSize} {
		r, err := NewReader(ct, bytes.NewReader(msg), DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range parts {
			p, err := r.Next()
			if err != nil {
				t.Fatalf("read size %d, part %s: %v", size, want.cid, err)
			}
			var got []byte
			buf := make([]byte, size)
			for {
				n, err := p.Body.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("read size %d, part %s: %v", size, want.cid, err)
				}
			}
			if string(got) != want.body {
				t.Fatalf("read size %d, part %s: %d bytes, want %d", size, want.cid, len(got), len(want.body))
			}
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("read size %d: end %v", size, err)
		}
	}
}

func TestSkipUnreadPart(t *testing.T) {
	ct, msg := writeMessage(t, "<e/>", []part{{"a", "text/plain", strings.Repeat("x", 100000)}, {"b", "text/plain", "second"}})
	r, err := NewReader(ct, bytes.NewReader(msg), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil { // Root is read implicitly
		t.Fatal(err)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(p.Body); p.ContentID != "b" || string(b) != "second" {
		t.Errorf("second part = %q %q", p.ContentID, b)
	}
}

// countingReader counts what the Reader has pulled from the wire.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestStreamsAttachments(t *testing.T) {
	const size = 4 << 20
	ct, msg := writeMessage(t, "<e/>", []part{{"big", "application/octet-stream", strings.Repeat("z", size)}})
	cr := &countingReader{r: bytes.NewReader(msg)}
	r, err := NewReader(ct, cr, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1000)
	if _, err := io.ReadFull(p.Body, buf); err != nil {
		t.Fatal(err)
	}
	if cr.n > 1000+2*bufSize+1024 {
		t.Errorf("read %d bytes from the wire to deliver 1000 bytes of a %d-byte part", cr.n, size)
	}
	n, err := io.Copy(io.Discard, p.Body)
	if err != nil || n != size-1000 {
		t.Errorf("rest: %d, %v", n, err)
	}
}

func TestReaderErrors(t *testing.T) {
	const b = "BB"
	msg := func(parts ...string) string {
		return "--" + b + "\r\n" + strings.Join(parts, "\r\n--"+b+"\r\n") + "\r\n--" + b + "--\r\n"
	}
	root := "Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>"
	att := func(cid, body string) string {
		return "Content-Type: text/plain\r\nContent-ID: " + cid + "\r\n\r\n" + body
	}
	ct := `multipart/related; boundary="BB"; type="application/soap+xml"; start="<root>"`
	small := Limits{MaxParts: 3, MaxHeaderBytes: 200, MaxRootBytes: 10, MaxPartBytes: 10}
	tests := []struct {
		name string
		ct   string
		body string
		lim  Limits
		want error
	}{
		{"not multipart", "application/soap+xml", "", DefaultLimits, ErrMediaType},
		{"multipart/mixed", `multipart/mixed; boundary="BB"; type="application/soap+xml"`, "", DefaultLimits, ErrMediaType},
		{"no boundary", `multipart/related; type="application/soap+xml"`, "", DefaultLimits, ErrMediaType},
		{"boundary too long", `multipart/related; type="application/soap+xml"; boundary=` + strings.Repeat("b", 71), "", DefaultLimits, ErrMediaType},
		{"no type", `multipart/related; boundary="BB"`, msg(root), DefaultLimits, ErrMediaType},
		{"type not SOAP", `multipart/related; boundary="BB"; type="application/pdf"`, msg(root), DefaultLimits, ErrMediaType},
		{"root type differs", `multipart/related; boundary="BB"; type="text/xml"`, msg(root), DefaultLimits, ErrMediaType},
		{"start names second part", `multipart/related; boundary="BB"; type="application/soap+xml"; start="<a>"`,
			msg(root, "Content-Type: application/soap+xml\r\nContent-ID: <a>\r\n\r\nx"), DefaultLimits, ErrMediaType},
		{"start but root has no cid", ct, msg("Content-Type: application/soap+xml\r\n\r\n<e/>"), DefaultLimits, ErrMediaType},
		{"no parts", ct, "--BB--\r\n", DefaultLimits, ErrSyntax},
		{"no delimiter", ct, "just text\r\n", DefaultLimits, ErrSyntax},
		{"truncated root", ct, "--BB\r\n" + root, DefaultLimits, ErrSyntax},
		{"truncated part", ct, "--BB\r\n" + root + "\r\n--BB\r\n" + att("<a>", "abc"), DefaultLimits, ErrSyntax},
		{"truncated delimiter", ct, "--BB\r\n" + root + "\r\n--BB", DefaultLimits, ErrSyntax},
		{"truncated header", ct, "--BB\r\nContent-Type: application/soap+xml\r\n", DefaultLimits, ErrSyntax},
		{"bad header line", ct, msg("Content-Type: application/soap+xml\r\nno colon here\r\n\r\n<e/>"), DefaultLimits, ErrSyntax},
		{"two Content-IDs", ct, msg(root, "Content-Type: text/plain\r\nContent-ID: <a>\r\nContent-ID: <b>\r\n\r\nabc"), DefaultLimits, ErrSyntax},
		{"two encodings", ct, msg(root, "Content-ID: <a>\r\nContent-Transfer-Encoding: binary\r\nContent-Transfer-Encoding: base64\r\n\r\nabc"), DefaultLimits, ErrSyntax},
		{"missing cid", ct, msg(root, "Content-Type: text/plain\r\n\r\nabc"), DefaultLimits, ErrContentID},
		{"empty cid", ct, msg(root, att("<>", "abc")), DefaultLimits, ErrContentID},
		{"duplicate cid", ct, msg(root, att("<a>", "1"), att("a", "2")), DefaultLimits, ErrContentID},
		{"cid equals root", ct, msg(root, att("<root>", "1")), DefaultLimits, ErrContentID},
		{"too many parts", ct, msg(root, att("<a>", "1"), att("<b>", "2"), att("<c>", "3")), small, ErrLimit},
		{"root too big", ct, msg("Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e>0123456789</e>"), small, ErrLimit},
		{"part too big", ct, msg("Content-Type: application/soap+xml\r\nContent-ID: <root>\r\n\r\n<e/>", att("<a>", "0123456789X")), small, ErrLimit},
		{"header too big", ct, msg(root, "X-Pad: "+strings.Repeat("p", 300)+"\r\n"+att("<a>", "")), small, ErrLimit},
		{"preamble too big", ct, strings.Repeat("p", 300) + "\r\n" + msg(root), small, ErrLimit},
		{"unknown encoding", ct, msg(root, "Content-Type: text/plain\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nabc"), DefaultLimits, ErrEncoding},
		{"bad base64", ct, msg(root, "Content-Type: text/plain\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!"), DefaultLimits, ErrEncoding},
		{"zero limits", ct, msg(root), Limits{}, ErrLimit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := readAll(tc.ct, tc.body, tc.lim)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// readAll reads a whole message and returns the first error (nil at io.EOF).
func readAll(ct, body string, lim Limits) error {
	r, err := NewReader(ct, strings.NewReader(body), lim)
	if err != nil {
		return err
	}
	if _, _, err := r.Root(); err != nil {
		return err
	}
	for {
		p, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, p.Body); err != nil {
			return err
		}
	}
}

func TestReaderAccepts(t *testing.T) {
	tests := []struct{ name, ct, body, want string }{
		{"no start, LF only, padding, preamble and epilogue",
			`multipart/related; boundary=BB; type="application/soap+xml"`,
			"preamble\n--BB  \nContent-Type: application/soap+xml\n\n<e/>\n--BB\nContent-Type: text/plain\nContent-ID: a\n\nhi\n--BB--\nepilogue",
			"hi"},
		{"base64 with line breaks",
			`multipart/related; boundary="BB"; type="text/xml"`,
			"--BB\r\nContent-Type: text/xml\r\n\r\n<e/>\r\n--BB\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: BASE64\r\n\r\naGVs\r\nbG8=\r\n--BB--",
			"hello"},
		{"quoted-printable",
			`multipart/related; boundary="BB"; type="application/soap+xml"; start="<r>"`,
			"--BB\r\nContent-Type: application/soap+xml; charset=UTF-8\r\nContent-ID: <r>\r\n\r\n<e/>\r\n--BB\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nh=C3=A4j=\r\n!\r\n--BB--\r\n",
			"häj!"},
		{"boundary text inside content",
			`multipart/related; boundary="BB"; type="application/soap+xml"`,
			"--BB\r\nContent-Type: application/soap+xml\r\n\r\n<e/>\r\n--BB\r\nContent-ID: <a>\r\n\r\nx\r\n--BBnot\r\n--BB--\r\n",
			"x\r\n--BBnot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(tc.ct, strings.NewReader(tc.body), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			p, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("body = %q, want %q", got, tc.want)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("end: %v", err)
			}
		})
	}
}

func TestErrorsAreSticky(t *testing.T) {
	ct := `multipart/related; boundary="BB"; type="application/soap+xml"`
	r, err := NewReader(ct, strings.NewReader("--BB\r\nContent-Type: application/soap+xml\r\n\r\n<e/>\r\n--BB\r\n\r\nno cid\r\n--BB--"), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := r.Next()
	_, err2 := r.Next()
	if !errors.Is(err1, ErrContentID) || !errors.Is(err2, ErrContentID) {
		t.Errorf("errors %v, %v; want ErrContentID twice", err1, err2)
	}
}

func TestNormalizeCID(t *testing.T) {
	good := map[string]string{
		"cid:a%40b":     "a@b",
		"CID:message":   "message",
		"<a@b>":         "a@b",
		" <a@b> ":       "a@b",
		"a@b":           "a@b",
		"cid:x%2By@cid": "x+y@cid",
	}
	for in, want := range good {
		if got, err := NormalizeCID(in); err != nil || got != want {
			t.Errorf("NormalizeCID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "<>", "cid:", "<a", "a>", "cid:%zz", "a b", "cid:a%20b", "<a\r\n>", "é@x"} {
		if got, err := NormalizeCID(in); !errors.Is(err, ErrContentID) {
			t.Errorf("NormalizeCID(%q) = %q, %v; want ErrContentID", in, got, err)
		}
	}
}

func TestWriterFormat(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, SOAP12)
	if err := w.SetBoundary("----=_Part_0_1.2"); err != nil {
		t.Fatal(err)
	}
	if err := w.SetRootContentID("root@brevduva"); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRoot([]byte("<S12:Envelope/>")); err != nil {
		t.Fatal(err)
	}
	pw, err := w.CreatePart("message", "application/gzip", textproto.MIMEHeader{"Content-Id": {"<evil>"}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pw.Write([]byte("GZ"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantCT := `multipart/related; boundary="----=_Part_0_1.2"; type="application/soap+xml"; start="<root@brevduva>"`
	if w.ContentType() != wantCT {
		t.Errorf("ContentType = %s", w.ContentType())
	}
	want := "------=_Part_0_1.2\r\n" +
		"Content-Type: application/soap+xml; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: binary\r\n" +
		"Content-ID: <root@brevduva>\r\n\r\n" +
		"<S12:Envelope/>\r\n" +
		"------=_Part_0_1.2\r\n" +
		"Content-Type: application/gzip\r\n" +
		"Content-Transfer-Encoding: binary\r\n" +
		"Content-ID: <message>\r\n\r\n" +
		"GZ\r\n" +
		"------=_Part_0_1.2--\r\n"
	if buf.String() != want {
		t.Errorf("output:\n%q\nwant:\n%q", buf.String(), want)
	}
}

func TestWriterRefuses(t *testing.T) {
	for _, rt := range []string{"", "application/soap+xml\r\nX-Evil: 1", "application/soap+xml; charset=UTF-8"} {
		if err := NewWriter(io.Discard, rt).WriteRoot([]byte("<e/>")); !errors.Is(err, ErrMediaType) {
			t.Errorf("root type %q: %v", rt, err)
		}
	}
	w := NewWriter(io.Discard, SOAP12)
	if _, err := w.CreatePart("a", "text/plain", nil); err == nil {
		t.Error("CreatePart before WriteRoot succeeded")
	}
	if err := w.SetBoundary("bad\r\nboundary"); err == nil {
		t.Error("SetBoundary accepted CRLF")
	}
	if err := w.SetRootContentID("<bracketed>"); err == nil {
		t.Error("SetRootContentID accepted brackets")
	}
	if err := w.WriteRoot([]byte("<e/>")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRoot([]byte("<e/>")); err == nil {
		t.Error("second WriteRoot succeeded")
	}
	if err := w.SetBoundary("late"); err == nil {
		t.Error("SetBoundary after writing succeeded")
	}
	if _, err := w.CreatePart("a", "text/plain", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreatePart("a", "text/plain", nil); !errors.Is(err, ErrContentID) {
		t.Errorf("duplicate cid: %v", err)
	}
	if _, err := w.CreatePart(w.RootContentID(), "text/plain", nil); !errors.Is(err, ErrContentID) {
		t.Errorf("root cid reused: %v", err)
	}
	if _, err := w.CreatePart("b", "text/plain", textproto.MIMEHeader{"X": {"a\r\nInjected: 1"}}); err == nil {
		t.Error("header injection accepted")
	}
}

func FuzzNormalizeCID(f *testing.F) {
	for _, s := range []string{"cid:a%40b", "<a@b>", "a@b", "CID:x%2By", "<>", "cid:%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeCID(s)
		if err != nil {
			return
		}
		if n == "" || strings.ContainsAny(n, "<> \r\n") {
			t.Fatalf("NormalizeCID(%q) = %q", s, n)
		}
		// The bare form is a fixed point, and its header and URL forms agree.
		if again, err := NormalizeCID(n); err != nil || again != n {
			t.Fatalf("NormalizeCID(%q) = %q, %v; not a fixed point", n, again, err)
		}
		if h, err := NormalizeCID("<" + n + ">"); err != nil || h != n {
			t.Fatalf("header form of %q: %q, %v", n, h, err)
		}
	})
}

func FuzzReader(f *testing.F) {
	ct := `multipart/related; boundary="BB"; type="application/soap+xml"; start="<r>"`
	f.Add(ct, []byte("--BB\r\nContent-Type: application/soap+xml\r\nContent-ID: <r>\r\n\r\n<e/>\r\n--BB\r\nContent-ID: <a>\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--BB--\r\n"))
	f.Add(`multipart/related; boundary=BB; type="text/xml"`, []byte("--BB\nContent-Type: text/xml\n\n<e/>\n--BB\nContent-ID: a\nContent-Transfer-Encoding: quoted-printable\n\nh=C3=A4\n--BB--"))
	for _, path := range []string{"testdata/dump-raw.as4out", "testdata/WrongCompression.mime"} {
		h, body := splitDump(f, path)
		f.Add(h.Get("Content-Type"), body)
	}
	lim := Limits{MaxParts: 8, MaxHeaderBytes: 1024, MaxRootBytes: 1 << 16, MaxPartBytes: 1 << 16}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		r, err := NewReader(ct, bytes.NewReader(body), lim)
		if err != nil {
			return
		}
		_, soap, err := r.Root()
		if err != nil {
			return
		}
		if int64(len(soap)) > lim.MaxRootBytes {
			t.Fatalf("root of %d bytes passed the cap", len(soap))
		}
		seen := map[string]bool{}
		for n := 1; ; n++ {
			p, err := r.Next()
			if err != nil {
				return
			}
			if n >= lim.MaxParts {
				t.Fatalf("part %d passed MaxParts", n+1)
			}
			if p.ContentID == "" || seen[p.ContentID] {
				t.Fatalf("empty or duplicate Content-ID %q passed", p.ContentID)
			}
			seen[p.ContentID] = true
			got, err := io.ReadAll(p.Body)
			if err == nil && int64(len(got)) > lim.MaxPartBytes {
				t.Fatalf("part of %d bytes passed the cap", len(got))
			}
		}
	})
}
