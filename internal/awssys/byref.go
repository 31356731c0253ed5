package awssys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/edge/byref"
	"github.com/brevduva/brevduva/infra/httpx"
)

// StagedObjects reads and removes the AS4 messages the edge Worker staged.
type StagedObjects interface {
	// Open returns the object's body as a stream and its size.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error)
	Delete(ctx context.Context, bucket, key string) error
}

// S3Objects is StagedObjects on the S3 API.
type S3Objects struct{ API *s3.Client }

var _ StagedObjects = S3Objects{}

// Open streams the object (GetObject).
func (o S3Objects) Open(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	out, err := o.API.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, 0, fmt.Errorf("awssys: staged object: %w", err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Delete removes the object (DeleteObject).
func (o S3Objects) Delete(ctx context.Context, bucket, key string) error {
	if _, err := o.API.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return fmt.Errorf("awssys: delete staged object: %w", err)
	}
	return nil
}

// ByRefOptions configure NewByRefHandler.
type ByRefOptions struct {
	Secret  []byte // BREVDUVA_EDGE_SECRET, the Worker's BYREF_SECRET
	Bucket  string // BREVDUVA_EDGE_BUCKET: the only bucket a Ref may name
	Objects StagedObjects
	Now     func() time.Time // nil: time.Now
}

// NewByRefHandler is the receive-by-reference endpoint (edge/byref.Path): the edge Worker
// posts a signed Ref to an AS4 message it staged; the handler checks the HMAC and the
// timestamp window, streams the object into the same infra/httpx AS4 handler as the
// buffered path (content types, ebMS error signals) capped at the PMode's
// MaxMessageBytes instead of MaxBufferedBody, and deletes the object afterwards, whatever
// the outcome (the sender retries a failed exchange with a new upload; the bucket's
// lifecycle rule removes what a crash leaves behind).
func NewByRefHandler(r Receiver, tenant string, p pmode.Profile, o ByRefOptions, log *slog.Logger) (http.Handler, error) {
	if len(o.Secret) == 0 || o.Bucket == "" || o.Objects == nil {
		return nil, errors.New("awssys: by-ref handler: Secret, Bucket and Objects are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	as4, err := httpx.NewAS4Handler(httpx.AS4Options{MaxBytes: p.MaxMessageBytes, Logger: log,
		Receive: func(ctx context.Context, ct string, body io.Reader) (httpx.Response, error) {
			resp, err := r.Receive(ctx, tenant, ct, body)
			return httpx.Response(resp), err
		}})
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	return &byRefHandler{o: o, as4: as4, log: log}, nil
}

type byRefHandler struct {
	o   ByRefOptions
	as4 http.Handler
	log *slog.Logger
}

func (h *byRefHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, byref.MaxBodyBytes+1))
	if err != nil || len(body) > byref.MaxBodyBytes {
		http.Error(w, "bad reference", http.StatusBadRequest)
		return
	}
	if err := byref.Verify(h.o.Secret, r.Header.Get(byref.HeaderTime), r.Header.Get(byref.HeaderSignature), body, h.o.Now()); err != nil {
		h.log.Warn("by-ref call refused", "err", err.Error())
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ref, err := byref.Parse(body)
	if err == nil && ref.Bucket != h.o.Bucket {
		err = fmt.Errorf("awssys: bucket %q is not the staging bucket", ref.Bucket)
	}
	if err != nil {
		http.Error(w, "bad reference: "+err.Error(), http.StatusBadRequest)
		return
	}
	defer h.remove(r.Context(), ref)
	obj, size, err := h.o.Objects.Open(r.Context(), ref.Bucket, ref.Key)
	if err != nil {
		h.log.Error("by-ref open failed", "key", ref.Key, "err", err.Error())
		http.Error(w, "staged message unavailable", http.StatusInternalServerError)
		return
	}
	defer obj.Close()
	if size != ref.Size {
		http.Error(w, fmt.Sprintf("staged message has %d bytes, the reference says %d", size, ref.Size), http.StatusBadRequest)
		return
	}
	h.log.Info("as4 by reference", "key", ref.Key, "bytes", size, "clientCert", fingerprint(ref.ClientCert))
	in, err := http.NewRequestWithContext(r.Context(), http.MethodPost, byref.Path, obj)
	if err != nil {
		panic("internal error: " + err.Error())
	}
	in.ContentLength = size
	in.Header.Set("Content-Type", ref.ContentType)
	if ref.SOAPAction != "" {
		in.Header.Set("SOAPAction", ref.SOAPAction)
	}
	h.as4.ServeHTTP(w, in)
}

func (h *byRefHandler) remove(ctx context.Context, ref byref.Ref) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := h.o.Objects.Delete(ctx, ref.Bucket, ref.Key); err != nil {
		h.log.Warn("staged message not deleted (lifecycle expiry will)", "key", ref.Key, "err", err.Error())
	}
}

func fingerprint(c *byref.ClientCert) string {
	if c == nil {
		return ""
	}
	return c.FingerprintSHA256
}

// NewAS4Routes is the as4-receive function's handler: the buffered AS4 handler
// (NewAS4Handler) on every path, and the receive-by-reference endpoint at byref.Path when
// byRef is not nil; each request ends with the audit failure metric (auditMeter).
func NewAS4Routes(r Receiver, tenant string, p pmode.Profile, byRef *ByRefOptions, log *slog.Logger) (http.Handler, error) {
	buffered, err := NewAS4Handler(r, tenant, p, log)
	if err != nil {
		return nil, err
	}
	m := newAuditMeter(r, tenant, log)
	if byRef == nil {
		return withAuditMetric(m, buffered), nil
	}
	br, err := NewByRefHandler(r, tenant, p, *byRef, log)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(byref.Path, br)
	mux.Handle("/", buffered)
	return withAuditMetric(m, mux), nil
}

// ByRefFromEnv is the by-reference configuration: nil when BREVDUVA_EDGE_SECRET is unset
// (no edge Worker in front), else BREVDUVA_EDGE_BUCKET is required.
func ByRefFromEnv(env Env, c *Clients) (*ByRefOptions, error) {
	secret := env.get(EnvEdgeSecret)
	if secret == "" {
		return nil, nil
	}
	var errs []error
	v := env.need(&errs, EnvEdgeBucket)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &ByRefOptions{Secret: []byte(secret), Bucket: v[EnvEdgeBucket], Objects: S3Objects{API: c.S3}}, nil
}
