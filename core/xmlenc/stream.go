package xmlenc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge: input beyond the size cap the caller set.
var ErrTooLarge = errors.New("xmlenc: input too large")

// cbcWriter encrypts AES-CBC incrementally (XML Encryption 1.1 §5.2.2).
type cbcWriter struct {
	w      io.Writer
	mode   cipher.BlockMode
	buf    []byte // pending plaintext, less than one block after each Write
	closed bool
	err    error
}

// NewCBCEncrypter returns a writer that encrypts what is written to it with AES-CBC and
// writes IV || ciphertext to w, in the layout of Encrypt, without holding more than one
// block. Close writes the final padded block (§5.2) and must be called; it does not close
// w. alg is AES128CBC or AES256CBC.
func NewCBCEncrypter(w io.Writer, alg Algorithm, key []byte) (io.WriteCloser, error) {
	if alg != AES128CBC && alg != AES256CBC {
		return nil, fmt.Errorf("xmlenc: cbc encrypter with %q: %w", alg, ErrUnsupported)
	}
	b, err := newAES(alg, key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: cbc encrypter: %w", err)
	}
	iv := make([]byte, cbcIVSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, fmt.Errorf("xmlenc: cbc encrypter: iv: %w", err)
	}
	if _, err := w.Write(iv); err != nil {
		return nil, fmt.Errorf("xmlenc: cbc encrypter: write: %w", err)
	}
	return &cbcWriter{w: w, mode: cipher.NewCBCEncrypter(b, iv), buf: make([]byte, 0, 32<<10)}, nil
}

func (c *cbcWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.closed {
		return 0, errors.New("xmlenc: cbc encrypter: write after close")
	}
	n := len(p)
	for len(p) > 0 {
		room := cap(c.buf) - len(c.buf)
		take := min(room, len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		if full := len(c.buf) - len(c.buf)%aes.BlockSize; full > 0 && len(c.buf) == cap(c.buf) {
			if err := c.flush(full); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// flush encrypts and writes the first n (a multiple of the block size) buffered bytes.
func (c *cbcWriter) flush(n int) error {
	c.mode.CryptBlocks(c.buf[:n], c.buf[:n])
	if _, err := c.w.Write(c.buf[:n]); err != nil {
		c.err = fmt.Errorf("xmlenc: cbc encrypter: write: %w", err)
		return c.err
	}
	c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	return nil
}

func (c *cbcWriter) Close() error {
	if c.err != nil {
		return c.err
	}
	if c.closed {
		return nil
	}
	c.closed = true
	pad := aes.BlockSize - len(c.buf)%aes.BlockSize // 1..16, §5.2
	for i := 0; i < pad; i++ {
		c.buf = append(c.buf, byte(pad))
	}
	return c.flush(len(c.buf))
}

// cbcReader decrypts AES-CBC incrementally, holding back the last block for the padding.
type cbcReader struct {
	r    io.Reader
	mode cipher.BlockMode
	in   []byte // ciphertext read but not yet decrypted
	out  []byte // plaintext ready to return
	buf  []byte // read buffer
	eof  bool
	err  error
}

// NewCBCDecrypter returns a reader of the plaintext of the IV || ciphertext that r yields
// (the layout of Encrypt). Plaintext is released before the padding at the end is
// checked, as AES-CBC carries no integrity anyway; a bad length or padding is ErrDecrypt
// at the end. alg is AES128CBC or AES256CBC.
func NewCBCDecrypter(r io.Reader, alg Algorithm, key []byte) (io.Reader, error) {
	if alg != AES128CBC && alg != AES256CBC {
		return nil, fmt.Errorf("xmlenc: cbc decrypter with %q: %w", alg, ErrUnsupported)
	}
	b, err := newAES(alg, key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: cbc decrypter: %w", err)
	}
	iv := make([]byte, cbcIVSize)
	if _, err := io.ReadFull(r, iv); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrDecrypt
		}
		return nil, fmt.Errorf("xmlenc: cbc decrypter: read: %w", err)
	}
	return &cbcReader{r: r, mode: cipher.NewCBCDecrypter(b, iv), buf: make([]byte, 32<<10)}, nil
}

func (c *cbcReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.eof {
			c.err = io.EOF
			return 0, c.err
		}
		c.fill()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// fill reads more ciphertext and decrypts all whole blocks but the last.
func (c *cbcReader) fill() {
	n, err := c.r.Read(c.buf)
	c.in = append(c.in, c.buf[:n]...)
	switch {
	case err == io.EOF:
		c.eof = true
		if len(c.in) == 0 || len(c.in)%aes.BlockSize != 0 {
			c.err = ErrDecrypt
			return
		}
		pt := make([]byte, len(c.in))
		c.mode.CryptBlocks(pt, c.in)
		c.in = nil
		pad, ok := cbcPadding(pt)
		if !ok {
			c.err = ErrDecrypt
			return
		}
		c.out = pt[:len(pt)-pad]
		if len(c.out) == 0 {
			c.err = io.EOF
		}
		return
	case err != nil:
		c.err = fmt.Errorf("xmlenc: cbc decrypter: read: %w", err)
		return
	}
	// Keep at least one block back: it may be the padded last one.
	keep := len(c.in) % aes.BlockSize
	if keep == 0 && len(c.in) > 0 {
		keep = aes.BlockSize
	}
	ready := len(c.in) - keep
	if ready <= 0 {
		return
	}
	pt := make([]byte, ready)
	c.mode.CryptBlocks(pt, c.in[:ready])
	c.in = append(c.in[:0], c.in[ready:]...)
	c.out = pt
}

// DecryptFrom reads at most max bytes of plaintext's worth of cipher text from r (the
// layout of Encrypt, IV and tag included) and decrypts it with Decrypt. Larger input is
// ErrTooLarge, read no further than the cap. AES-GCM needs the whole input before its tag
// can be checked, so this is how to bound the buffer.
func DecryptFrom(r io.Reader, alg Algorithm, key []byte, max int64) ([]byte, error) {
	if !IsBlockCipher(alg) {
		return nil, fmt.Errorf("xmlenc: decrypt with %q: %w", alg, ErrUnsupported)
	}
	limit := max + gcmNonceSize + gcmTagSize
	if !isGCM(alg) {
		limit = max + cbcIVSize + aes.BlockSize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("xmlenc: decrypt: read: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("xmlenc: decrypt: more than %d bytes: %w", limit, ErrTooLarge)
	}
	return Decrypt(alg, key, data)
}
