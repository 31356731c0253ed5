package front

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/edge/byref"
)

// HeaderPath says which way an AS4 message took through the front door: "direct" (the
// body was posted to the origin's AS4 path) or "by-ref" (staged in object storage).
const HeaderPath = "X-Brevduva-Edge-Path"

// HeaderMemory reports the Worker's memory peaks during a staged upload (Deps.Memory).
const HeaderMemory = "X-Brevduva-Edge-Memory"

// as4 is the AS4 front door: POST only; small bodies go to the origin directly, larger
// ones are staged in object storage part by part and passed by reference.
func (f *front) as4(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	cert := f.deps.ClientCert(r)
	if f.cfg.RequireClientCert && (cert == nil || !cert.Verified) {
		// Cloudflare's mTLS rule should have refused the connection already (edge/README.md).
		http.Error(w, "a verified TLS client certificate is required", http.StatusForbidden)
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "multipart/related" && mt != "application/soap+xml") {
		fault(w, http.StatusUnsupportedMediaType, f.deps.Now(), ebms.NewError(ebms.MIMEInconsistency,
			"Content-Type must be multipart/related or application/soap+xml", err))
		return
	}
	if r.ContentLength > f.cfg.MaxMessageBytes {
		f.tooLarge(w)
		return
	}
	first := make([]byte, f.cfg.PartBytes)
	n, err := io.ReadFull(r.Body, first)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if int64(n) <= f.cfg.DirectMaxBytes {
			w.Header().Set(HeaderPath, "direct")
			f.direct(w, r, first[:n])
			return
		}
		f.staged(w, r, cert, first[:n], nil)
	case err != nil:
		http.Error(w, "request body: "+err.Error(), http.StatusBadRequest)
	default:
		f.staged(w, r, cert, first, r.Body)
	}
}

func (f *front) tooLarge(w http.ResponseWriter) {
	fault(w, http.StatusRequestEntityTooLarge, f.deps.Now(), ebms.NewError(ebms.Other,
		fmt.Sprintf("message too large: more than %d bytes", f.cfg.MaxMessageBytes), nil))
}

// unavailable answers EBMS:0005 ConnectionFailure (ebMS 3.0 Core §6.7.1, severity
// failure, category Communication) with HTTP 502, or 504 after the deadline: the sender
// keeps the message and retries under its PMode's reception awareness.
func (f *front) unavailable(w http.ResponseWriter, what string, err error) {
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusGatewayTimeout
	}
	fault(w, status, f.deps.Now(), ebms.NewError(ebms.ConnectionFailure,
		"the receiving access point's "+what+" is unavailable; retry later", err))
}

// direct posts a small body to the origin's AS4 path.
func (f *front) direct(w http.ResponseWriter, r *http.Request, body []byte) {
	f.callOrigin(w, r, f.cfg.AS4Path, r.Header.Get("Content-Type"), body, nil)
}

// staged uploads first and the rest of the body to object storage and posts a Ref.
func (f *front) staged(w http.ResponseWriter, r *http.Request, cert *byref.ClientCert, first []byte, rest io.Reader) {
	w.Header().Set(HeaderPath, "by-ref")
	ctx := r.Context()
	key := byref.KeyPrefix + f.deps.Now().UTC().Format("2006/01/02/") + newID()
	up, err := f.startUpload(ctx, key)
	if err != nil {
		f.unavailable(w, "message store", err)
		return
	}
	size, err := f.uploadAll(ctx, up, first, rest)
	f.sampleMemory(w)
	if err == nil {
		err = up.complete(ctx)
	}
	if err != nil {
		up.abort(ctx)
		if errors.Is(err, errTooLarge) {
			f.tooLarge(w)
			return
		}
		f.unavailable(w, "message store", err)
		return
	}
	ref := byref.Ref{Bucket: f.cfg.S3Bucket, Key: key, Size: size, ContentType: r.Header.Get("Content-Type"),
		SOAPAction: r.Header.Get("SOAPAction"), ClientCert: cert}
	body, err := byref.Marshal(ref)
	if err != nil {
		panic("internal error: " + err.Error())
	}
	ts, sig := byref.Sign(f.cfg.ByRefSecret, f.deps.Now(), body)
	if !f.callOrigin(w, r, byref.Path, "application/json", body, http.Header{byref.HeaderTime: {ts}, byref.HeaderSignature: {sig}}) {
		f.deleteObject(ctx, key)
	}
}

// sampleMemory samples Deps.Memory, if set, and puts the peaks in w's HeaderMemory.
func (f *front) sampleMemory(w http.ResponseWriter) {
	if f.deps.Memory == nil {
		return
	}
	if v := f.deps.Memory(); w != nil {
		w.Header().Set(HeaderMemory, v)
	}
}

var errTooLarge = errors.New("front: message too large")

// uploadAll uploads first, then rest in PartBytes parts, reusing first's buffer, and
// returns the total size; more than MaxMessageBytes is errTooLarge.
func (f *front) uploadAll(ctx context.Context, up *multipart, first []byte, rest io.Reader) (int64, error) {
	size := int64(len(first))
	if err := up.upload(ctx, first); err != nil {
		return 0, err
	}
	for rest != nil {
		n, err := io.ReadFull(rest, first[:cap(first)])
		if n > 0 {
			if size += int64(n); size > f.cfg.MaxMessageBytes {
				return 0, errTooLarge
			}
			if err := up.upload(ctx, first[:n]); err != nil {
				return 0, err
			}
			f.sampleMemory(nil)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return size, nil
		case err != nil:
			return 0, fmt.Errorf("front: request body: %w", err)
		}
	}
	return size, nil
}

// callOrigin posts body to the origin's path and relays its answer unchanged; when the
// origin cannot be reached, times out or fails without a SOAP answer it writes EBMS:0005
// and reports false.
func (f *front) callOrigin(w http.ResponseWriter, r *http.Request, path, ct string, body []byte, h http.Header) bool {
	req, cancel, err := f.originRequest(r.Context(), http.MethodPost, path)
	if err != nil {
		panic("internal error: origin request: " + err.Error())
	}
	defer cancel()
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	req.Header = h
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Content-Type", ct)
	if a := r.Header.Get("SOAPAction"); a != "" {
		req.Header.Set("SOAPAction", a)
	}
	resp, err := f.deps.HTTP.Do(req)
	if err != nil {
		f.unavailable(w, "receive function", err)
		return false
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxLookupBytes))
	if err != nil {
		f.unavailable(w, "receive function", err)
		return false
	}
	if resp.StatusCode >= 500 && !soapAnswer(resp.Header.Get("Content-Type")) {
		f.unavailable(w, "receive function", fmt.Errorf("HTTP %d without a SOAP answer", resp.StatusCode))
		return false
	}
	if v := resp.Header.Get("Content-Type"); v != "" {
		w.Header().Set("Content-Type", v)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
	return true
}

func soapAnswer(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/soap+xml" || strings.HasPrefix(mt, "multipart/")
}
