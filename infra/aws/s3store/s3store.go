// Package s3store is the Amazon S3 adapter of the msh.PayloadStore port: payloads are
// objects {tenant}/{hex(sha256(name))} in one bucket, encrypted at rest with the tenant's
// KMS key (SSE-KMS), written put-if-absent with S3 conditional writes (If-None-Match: *,
// on PutObject and on CompleteMultipartUpload) and streamed in both directions. Large
// payloads go up as a multipart upload, one part buffered at a time, which S3 makes visible
// only when the upload completes, so readers see nothing or the whole payload. Browsers
// upload with a presigned PUT (PresignPut).
package s3store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.PayloadStore   = (*Store)(nil)
	_ msh.PayloadDeleter = (*Store)(nil)
)

// API is the part of *s3.Client the store uses.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPart(ctx context.Context, in *s3.UploadPartInput, opts ...func(*s3.Options)) (*s3.UploadPartOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
}

var _ API = (*s3.Client)(nil)

// Presigner is the part of *s3.PresignClient that PresignPut uses.
type Presigner interface {
	PresignPutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

var _ Presigner = (*s3.PresignClient)(nil)

const (
	// MinPartSize is S3's minimum size of a multipart upload part other than the last.
	MinPartSize = 5 << 20
	// DefaultPartSize is the part size when Options.PartSize is 0: a payload up to this size
	// is one PutObject, a larger one a multipart upload holding one part in memory at a time.
	DefaultPartSize = 8 << 20
)

// Options configure a Store.
type Options struct {
	// KMSKeyID returns the KMS key (id, ARN or alias) that encrypts tenant's payloads
	// (SSE-KMS with an S3 Bucket Key). Nil, or "" for a tenant, leaves the bucket's default
	// encryption in charge.
	KMSKeyID func(tenant string) string
	// PartSize is the multipart part size, at least MinPartSize; 0 means DefaultPartSize.
	PartSize int64
	// Presigner signs browser uploads (PresignPut); nil disables them.
	Presigner Presigner
}

// Store is the S3 msh.PayloadStore.
type Store struct {
	api    API
	bucket string
	opts   Options
}

// New returns the payload store on bucket. It fails only on bad options.
func New(api API, bucket string, opts Options) (*Store, error) {
	if opts.PartSize == 0 {
		opts.PartSize = DefaultPartSize
	}
	if opts.PartSize < MinPartSize {
		return nil, fmt.Errorf("s3store: part size %d below S3's minimum %d: %w", opts.PartSize, MinPartSize, msh.ErrInvalid)
	}
	return &Store{api: api, bucket: bucket, opts: opts}, nil
}

// ObjectKey is the object key of a payload: the tenant, '/', and the hex SHA-256 of the
// name, so that names such as "../x" cannot leave the tenant's prefix.
func ObjectKey(k msh.PayloadKey) string {
	sum := sha256.Sum256([]byte(k.Name))
	return k.Tenant + "/" + hex.EncodeToString(sum[:])
}

func (s *Store) kmsKey(tenant string) string {
	if s.opts.KMSKeyID == nil {
		return ""
	}
	return s.opts.KMSKeyID(tenant)
}

// PutPayload implements msh.PayloadStore.
func (s *Store) PutPayload(ctx context.Context, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	if err := r.Validate(); err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("s3store: put payload: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("s3store: put payload %q: %w", r.Name, err)
	}
	limit := r.EffectiveLimit()
	h := sha256.New()
	in := io.TeeReader(&io.LimitedReader{R: body, N: limit + 1}, h)
	// Read up to one part, growing the buffer as data arrives (a small payload does not
	// cost a whole part's memory).
	partSize := min(s.opts.PartSize, limit+1)
	var first bytes.Buffer
	n, err := first.ReadFrom(io.LimitReader(in, partSize))
	var info msh.PayloadInfo
	switch {
	case err != nil:
		err = fmt.Errorf("read body: %w", err)
	case n < partSize:
		info, err = s.putSmall(ctx, r, first.Bytes(), h)
	case n > limit:
		err = msh.ErrTooLarge
	default:
		info, err = s.putMultipart(ctx, r, in, first.Bytes(), h)
	}
	if err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("s3store: put payload %q: %w", r.Name, err)
	}
	return info, nil
}

func (s *Store) putSmall(ctx context.Context, r msh.PutPayloadRequest, data []byte, h hash.Hash) (msh.PayloadInfo, error) {
	if int64(len(data)) > r.EffectiveLimit() {
		return msh.PayloadInfo{}, msh.ErrTooLarge
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(ObjectKey(r.PayloadKey)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		IfNoneMatch:   aws.String("*"),
	}
	if id := s.kmsKey(r.Tenant); id != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(id)
		in.BucketKeyEnabled = aws.Bool(true)
	}
	if _, err := s.api.PutObject(ctx, in); err != nil {
		return msh.PayloadInfo{}, mapPutErr(err)
	}
	return info(int64(len(data)), h), nil
}

func info(n int64, h hash.Hash) msh.PayloadInfo {
	i := msh.PayloadInfo{Size: n}
	h.Sum(i.SHA256[:0])
	return i
}

// putMultipart uploads first (a full part) and the rest of in as a multipart upload and
// completes it if no object has the key; on any failure it aborts the upload.
func (s *Store) putMultipart(ctx context.Context, r msh.PutPayloadRequest, in io.Reader, first []byte, h hash.Hash) (_ msh.PayloadInfo, err error) {
	objKey := ObjectKey(r.PayloadKey)
	// Fail early, before uploading megabytes, when the payload exists; the conditional
	// complete below still decides a race.
	if _, herr := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(objKey)}); herr == nil {
		return msh.PayloadInfo{}, msh.ErrDuplicate
	} else if !isNotFound(herr) {
		return msh.PayloadInfo{}, fmt.Errorf("head: %w", herr)
	}
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(objKey)}
	if id := s.kmsKey(r.Tenant); id != "" {
		create.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		create.SSEKMSKeyId = aws.String(id)
		create.BucketKeyEnabled = aws.Bool(true)
	}
	up, err := s.api.CreateMultipartUpload(ctx, create)
	if err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("create multipart upload: %w", err)
	}
	defer func() {
		if err != nil {
			// Abort even when ctx was canceled, so no parts linger (a bucket lifecycle rule
			// AbortIncompleteMultipartUpload is the backstop).
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_, _ = s.api.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: aws.String(objKey), UploadId: up.UploadId})
		}
	}()
	limit := r.EffectiveLimit()
	var parts []types.CompletedPart
	total := int64(0)
	buf := first // a full part; reused for the next parts
	n := len(first)
	for num := int32(1); ; num++ {
		total += int64(n)
		if total > limit {
			return msh.PayloadInfo{}, msh.ErrTooLarge
		}
		if n > 0 || num == 1 {
			out, err := s.api.UploadPart(ctx, &s3.UploadPartInput{
				Bucket: aws.String(s.bucket), Key: aws.String(objKey), UploadId: up.UploadId,
				PartNumber: aws.Int32(num), Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
			})
			if err != nil {
				return msh.PayloadInfo{}, fmt.Errorf("upload part %d: %w", num, err)
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(num), ETag: out.ETag,
				ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME,
				ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256})
		}
		var rerr error
		n, rerr = io.ReadFull(in, buf)
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			if n == 0 {
				break
			}
			continue // upload the short last part, then read EOF
		}
		if rerr != nil {
			return msh.PayloadInfo{}, fmt.Errorf("read body: %w", rerr)
		}
	}
	_, err = s.api.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.bucket), Key: aws.String(objKey), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfNoneMatch:     aws.String("*"),
	})
	if err != nil {
		return msh.PayloadInfo{}, mapPutErr(err)
	}
	return info(total, h), nil
}

// mapPutErr turns S3's answers to a conditional write on a taken key into ErrDuplicate:
// 412 PreconditionFailed (the object exists) and 409 ConditionalRequestConflict (a
// concurrent conditional write to the key is in progress).
func mapPutErr(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%s: %w", ae.ErrorCode(), msh.ErrDuplicate)
		}
	}
	return err
}

func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound
}

// OpenPayload implements msh.PayloadStore: GetObject, streamed.
func (s *Store) OpenPayload(ctx context.Context, k msh.PayloadKey) (io.ReadCloser, msh.PayloadInfo, error) {
	if err := k.Validate(); err != nil {
		return nil, msh.PayloadInfo{}, fmt.Errorf("s3store: open payload: %w", err)
	}
	out, err := s.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(ObjectKey(k))})
	if isNotFound(err) {
		return nil, msh.PayloadInfo{}, fmt.Errorf("s3store: open payload %q: %w", k.Name, msh.ErrNotFound)
	}
	if err != nil {
		return nil, msh.PayloadInfo{}, fmt.Errorf("s3store: open payload %q: %w", k.Name, err)
	}
	return out.Body, msh.PayloadInfo{Size: aws.ToInt64(out.ContentLength)}, nil
}

// DeletePayload implements msh.PayloadDeleter: HeadObject (S3's DeleteObject does not say
// whether the object existed), then DeleteObject.
func (s *Store) DeletePayload(ctx context.Context, k msh.PayloadKey) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("s3store: delete payload: %w", err)
	}
	objKey := aws.String(ObjectKey(k))
	if _, err := s.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: objKey}); isNotFound(err) {
		return fmt.Errorf("s3store: delete payload %q: %w", k.Name, msh.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("s3store: delete payload %q: %w", k.Name, err)
	}
	if _, err := s.api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: objKey}); err != nil {
		return fmt.Errorf("s3store: delete payload %q: %w", k.Name, err)
	}
	return nil
}

// PresignedPut is a browser upload: send Method to URL with exactly Header (they are
// signed) and a body of the declared size.
type PresignedPut struct {
	URL    string
	Method string
	Header http.Header
}

// PresignPut signs a PUT of the payload k of exactly size bytes, valid for ttl. The
// signature covers the size, the tenant's SSE-KMS key and If-None-Match: *, so the browser
// can neither upload more than declared, nor change the encryption, nor overwrite a
// payload. The upload bypasses PutPayload's limit and hash: the caller checks the size it
// allows before signing and verifies the content where it needs to (e.g. a digest in a
// signed message).
func (s *Store) PresignPut(ctx context.Context, k msh.PayloadKey, size int64, ttl time.Duration) (PresignedPut, error) {
	if err := k.Validate(); err != nil {
		return PresignedPut{}, fmt.Errorf("s3store: presign put: %w", err)
	}
	if s.opts.Presigner == nil {
		return PresignedPut{}, fmt.Errorf("s3store: presign put: no presigner configured: %w", msh.ErrInvalid)
	}
	if size < 0 || ttl <= 0 || ttl > 7*24*time.Hour {
		return PresignedPut{}, fmt.Errorf("s3store: presign put %q: size %d, ttl %v: %w", k.Name, size, ttl, msh.ErrInvalid)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(ObjectKey(k)),
		ContentLength: aws.Int64(size),
		IfNoneMatch:   aws.String("*"),
	}
	if id := s.kmsKey(k.Tenant); id != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(id)
		in.BucketKeyEnabled = aws.Bool(true)
	}
	req, err := s.opts.Presigner.PresignPutObject(ctx, in, s3.WithPresignExpires(ttl))
	if err != nil {
		return PresignedPut{}, fmt.Errorf("s3store: presign put %q: %w", k.Name, err)
	}
	return PresignedPut{URL: req.URL, Method: req.Method, Header: req.SignedHeader.Clone()}, nil
}
