package front

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/brevduva/brevduva/edge/sigv4"
)

// multipart is one S3 multipart upload (Amazon S3 API: CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload), path-style, signed with SigV4.
type multipart struct {
	f        *front
	key      string
	uploadID string
	parts    []completedPart
}

type completedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// s3Namespace is the S3 API's XML namespace (Amazon S3 API Reference).
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// maxS3Answer caps the XML answers read from the object store.
const maxS3Answer = 1 << 20

func (f *front) objectURL(key string, q url.Values) string {
	u := *f.cfg.S3Endpoint
	u.Path = u.Path + "/" + f.cfg.S3Bucket + "/" + key
	u.RawQuery = q.Encode()
	return u.String()
}

// s3Do sends one signed S3 request with body and returns the answer's headers and body;
// any status but 2xx, or an <Error> in a 200 answer, is an error.
func (f *front) s3Do(ctx context.Context, method, key string, q url.Values, body []byte) (http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.OriginTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, f.objectURL(key, q), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.ContentLength = int64(len(body))
	f.cfg.S3.Sign(req, sigv4.HashPayload(body), f.deps.Now())
	resp, err := f.deps.HTTP.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("front: s3 %s: %w", method, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxS3Answer))
	if err != nil {
		return nil, nil, fmt.Errorf("front: s3 %s answer: %w", method, err)
	}
	if resp.StatusCode/100 != 2 || bytes.Contains(b, []byte("<Error>")) {
		return nil, nil, fmt.Errorf("front: s3 %s: HTTP %d: %.200s", method, resp.StatusCode, b)
	}
	return resp.Header, b, nil
}

func (f *front) startUpload(ctx context.Context, key string) (*multipart, error) {
	_, b, err := f.s3Do(ctx, http.MethodPost, key, url.Values{"uploads": {""}}, nil)
	if err != nil {
		return nil, err
	}
	var res struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(b, &res); err != nil || res.UploadID == "" {
		return nil, fmt.Errorf("front: s3 create multipart upload: no UploadId (%v)", err)
	}
	return &multipart{f: f, key: key, uploadID: res.UploadID}, nil
}

func (m *multipart) upload(ctx context.Context, part []byte) error {
	n := len(m.parts) + 1
	h, _, err := m.f.s3Do(ctx, http.MethodPut, m.key, url.Values{"partNumber": {strconv.Itoa(n)}, "uploadId": {m.uploadID}}, part)
	if err != nil {
		return err
	}
	m.parts = append(m.parts, completedPart{PartNumber: n, ETag: h.Get("ETag")})
	return nil
}

func (m *multipart) complete(ctx context.Context) error {
	body, err := xml.Marshal(struct {
		XMLName xml.Name        `xml:"CompleteMultipartUpload"`
		XMLNS   string          `xml:"xmlns,attr"`
		Parts   []completedPart `xml:"Part"`
	}{XMLNS: s3Namespace, Parts: m.parts})
	if err != nil {
		return fmt.Errorf("front: s3 complete: %w", err)
	}
	_, _, err = m.f.s3Do(ctx, http.MethodPost, m.key, url.Values{"uploadId": {m.uploadID}}, body)
	return err
}

// abort drops the parts; best effort (the bucket's lifecycle rule for incomplete
// multipart uploads is the backstop).
func (m *multipart) abort(ctx context.Context) {
	_, _, _ = m.f.s3Do(context.WithoutCancel(ctx), http.MethodDelete, m.key, url.Values{"uploadId": {m.uploadID}}, nil)
}

// deleteObject removes a staged object nobody will read; best effort (lifecycle expiry
// of the inbound/ prefix is the backstop).
func (f *front) deleteObject(ctx context.Context, key string) {
	_, _, _ = f.s3Do(context.WithoutCancel(ctx), http.MethodDelete, key, nil, nil)
}
