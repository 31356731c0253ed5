package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/ebms"
)

// Response is the synchronous answer to an inbound AS4 exchange (core/msh.AS4Response
// converts to it).
type Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// ReceiveFunc hands one inbound exchange to the engine. An error means no answer can be
// given at all (the handler answers 500 and the peer retries).
type ReceiveFunc func(ctx context.Context, contentType string, body io.Reader) (Response, error)

// AS4Options configure NewAS4Handler.
type AS4Options struct {
	Receive ReceiveFunc
	// MaxBytes caps the request body: the PMode's MaxMessageBytes (⚠U spec-facts §k 19).
	MaxBytes int64
	Now      func() time.Time // time of the error signals this handler writes; nil: time.Now
	Logger   *slog.Logger     // nil: discard
}

// NewAS4Handler returns the handler of an AS4 endpoint: POST only, a body of
// multipart/related or application/soap+xml up to MaxBytes, answered with what Receive
// returns. A larger body gets HTTP 413 with an ebMS error signal (EBMS:0004 Other,
// "message too large"); a wrong content type HTTP 415 with EBMS:0007 MIMEInconsistency.
func NewAS4Handler(o AS4Options) (http.Handler, error) {
	if o.Receive == nil || o.MaxBytes <= 0 {
		return nil, errors.New("httpx: as4 handler: Receive and MaxBytes are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &as4Handler{o: o}, nil
}

type as4Handler struct{ o AS4Options }

func (h *as4Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "multipart/related" && mt != "application/soap+xml") {
		h.fault(w, http.StatusUnsupportedMediaType, ebms.NewError(ebms.MIMEInconsistency,
			"Content-Type must be multipart/related or application/soap+xml", err))
		return
	}
	if r.ContentLength > h.o.MaxBytes {
		h.tooLarge(w, r.ContentLength)
		return
	}
	body := &cappedReader{r: r.Body, left: h.o.MaxBytes}
	resp, err := h.o.Receive(r.Context(), ct, body)
	if body.over {
		h.tooLarge(w, -1)
		return
	}
	if err != nil {
		h.o.Logger.Error("as4 receive failed", "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if resp.Status == 0 {
		resp.Status = http.StatusOK
	}
	if resp.ContentType != "" {
		w.Header().Set("Content-Type", resp.ContentType)
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func (h *as4Handler) tooLarge(w http.ResponseWriter, n int64) {
	h.o.Logger.Warn("as4 message too large", "bytes", n, "max", h.o.MaxBytes)
	h.fault(w, http.StatusRequestEntityTooLarge, ebms.NewError(ebms.Other,
		fmt.Sprintf("message too large: more than %d bytes", h.o.MaxBytes), nil))
}

func (h *as4Handler) fault(w http.ResponseWriter, status int, e *ebms.Error) {
	w.Header().Set("Content-Type", ebms.FaultContentType)
	w.WriteHeader(status)
	_, _ = w.Write(ebms.UnsignedFault("_"+newID(), newID()+"@brevduva", h.o.Now(), e))
}

// cappedReader reads at most left bytes and records an attempt to read beyond.
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errTooLarge = errors.New("httpx: request body too large")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			c.over = true
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
