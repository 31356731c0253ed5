package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.PayloadStore   = (*Files)(nil)
	_ msh.PayloadDeleter = (*Files)(nil)
)

// Files is the file-system msh.PayloadStore (see the package doc for the write protocol).
type Files struct{ dir string }

// NewFiles returns the payload store rooted at dir, creating it, and removes temporary
// files left by puts that a crash interrupted.
func NewFiles(dir string) (*Files, error) {
	tmp := filepath.Join(dir, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("local: payloads %s: clear tmp: %w", dir, err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("local: payloads %s: %w", dir, err)
	}
	return &Files{dir: dir}, nil
}

func (f *Files) path(k msh.PayloadKey) (dir, file string) {
	sum := sha256.Sum256([]byte(k.Name))
	h := hex.EncodeToString(sum[:])
	dir = filepath.Join(f.dir, hex.EncodeToString([]byte(k.Tenant)), h[:2])
	return dir, filepath.Join(dir, h)
}

// PutPayload implements msh.PayloadStore: temp file, fsync, link (fails if the target
// exists), fsync of the directory.
func (f *Files) PutPayload(ctx context.Context, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	if err := r.Validate(); err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("local: put payload: %w", err)
	}
	dir, final := f.path(r.PayloadKey)
	if _, err := os.Lstat(final); err == nil {
		return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, msh.ErrDuplicate)
	}
	tmp, err := os.CreateTemp(filepath.Join(f.dir, "tmp"), "put-*")
	if err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, err)
	}
	defer os.Remove(tmp.Name()) // after the link, or on any failure
	info, err := f.fill(ctx, tmp, r, body)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, err)
	}
	created, err := mkdirs(dir)
	if err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, err)
	}
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, msh.ErrDuplicate)
		}
		return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, err)
	}
	for _, d := range append([]string{dir}, created...) {
		if err := syncDir(d); err != nil {
			return msh.PayloadInfo{}, fmt.Errorf("local: put payload %q: %w", r.Name, err)
		}
	}
	return info, nil
}

// fill copies at most the limit from body into tmp, hashing, and fsyncs it.
func (f *Files) fill(ctx context.Context, tmp *os.File, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	limit := r.EffectiveLimit()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), &ctxReader{ctx: ctx, r: io.LimitReader(body, limit+1)})
	if err != nil {
		return msh.PayloadInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return msh.PayloadInfo{}, err
	}
	if n > limit {
		return msh.PayloadInfo{}, fmt.Errorf("more than %d bytes: %w", limit, msh.ErrTooLarge)
	}
	if err := tmp.Sync(); err != nil {
		return msh.PayloadInfo{}, err
	}
	return msh.PayloadInfo{Size: n, SHA256: sum(h)}, nil
}

func sum(h hash.Hash) (out [32]byte) {
	copy(out[:], h.Sum(nil))
	return out
}

// OpenPayload implements msh.PayloadStore.
func (f *Files) OpenPayload(_ context.Context, k msh.PayloadKey) (io.ReadCloser, msh.PayloadInfo, error) {
	if err := k.Validate(); err != nil {
		return nil, msh.PayloadInfo{}, fmt.Errorf("local: open payload: %w", err)
	}
	_, final := f.path(k)
	fh, err := os.Open(final)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, msh.PayloadInfo{}, fmt.Errorf("local: open payload %q: %w", k.Name, msh.ErrNotFound)
	}
	if err != nil {
		return nil, msh.PayloadInfo{}, fmt.Errorf("local: open payload %q: %w", k.Name, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, msh.PayloadInfo{}, fmt.Errorf("local: open payload %q: %w", k.Name, err)
	}
	return fh, msh.PayloadInfo{Size: st.Size()}, nil
}

// DeletePayload implements msh.PayloadDeleter.
func (f *Files) DeletePayload(_ context.Context, k msh.PayloadKey) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("local: delete payload: %w", err)
	}
	dir, final := f.path(k)
	if err := os.Remove(final); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: delete payload %q: %w", k.Name, msh.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("local: delete payload %q: %w", k.Name, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("local: delete payload %q: %w", k.Name, err)
	}
	return nil
}

// mkdirs creates dir and its missing parents and returns the parents of the directories
// it created (whose entries must be fsynced), nearest first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	parents := make([]string, 0, len(missing))
	for _, d := range missing {
		parents = append(parents, filepath.Dir(d))
	}
	return parents, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxReader stops a copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
