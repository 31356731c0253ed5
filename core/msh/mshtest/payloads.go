package mshtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/brevduva/brevduva/core/msh"
)

func pkey(tenant, name string) msh.PayloadKey { return msh.PayloadKey{Tenant: tenant, Name: name} }

func readAll(t *testing.T, s msh.PayloadStore, k msh.PayloadKey) []byte {
	t.Helper()
	rc, info, err := s.OpenPayload(context.Background(), k)
	noErr(t, "OpenPayload("+k.Name+")", err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	noErr(t, "read payload", err)
	if info.Size != int64(len(b)) {
		t.Fatalf("OpenPayload size %d, read %d bytes", info.Size, len(b))
	}
	return b
}

// pattern is deterministic content of n bytes that differs per seed.
func pattern(seed byte, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// onlyReader hides any WriterTo/Seeker of the underlying reader, so adapters must stream.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// TestPayloadStore is the contract suite of msh.PayloadStore (and of msh.PayloadDeleter
// when the adapter has it).
func TestPayloadStore(t *testing.T, opener Opener[msh.PayloadStore]) {
	ctx := context.Background()

	t.Run("PutOpenRoundTrip", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for i, n := range []int{0, 1, 4096, 3<<20 + 7} {
			data := pattern(byte(i), n)
			k := pkey("t1", "m1/part-"+string(rune('a'+i)))
			info, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, onlyReader{bytes.NewReader(data)})
			noErr(t, "PutPayload", err)
			if info.Size != int64(n) || info.SHA256 != sha256.Sum256(data) {
				t.Fatalf("PutPayload info = %d %x, want %d %x", info.Size, info.SHA256, n, sha256.Sum256(data))
			}
			if got := readAll(t, in.Port, k); !bytes.Equal(got, data) {
				t.Fatalf("payload of %d bytes read back differently (%d bytes)", n, len(got))
			}
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		rc, _, err := in.Port.OpenPayload(ctx, pkey("t1", "missing"))
		isErr(t, "OpenPayload(missing)", err, msh.ErrNotFound)
		if rc != nil {
			t.Fatal("OpenPayload(missing) returned a reader")
		}
	})

	t.Run("PutIfAbsent", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		k := pkey("t1", "p")
		_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader([]byte("first")))
		noErr(t, "PutPayload", err)
		_, err = in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader([]byte("second, longer")))
		isErr(t, "PutPayload(existing)", err, msh.ErrDuplicate)
		if got := readAll(t, in.Port, k); string(got) != "first" {
			t.Fatalf("payload after duplicate put = %q, want %q", got, "first")
		}
	})

	t.Run("NoPartialPayloadVisible", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		k := pkey("t1", "slow")
		data := pattern(9, 1<<20)
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, pr)
			done <- err
		}()
		if _, err := pw.Write(data[:len(data)/2]); err != nil {
			t.Fatal(err)
		}
		// Half the body has been consumed by the adapter: the payload must not be visible.
		_, _, err := in.Port.OpenPayload(ctx, k)
		isErr(t, "OpenPayload during put", err, msh.ErrNotFound)
		if _, err := pw.Write(data[len(data)/2:]); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		noErr(t, "PutPayload", <-done)
		if got := readAll(t, in.Port, k); !bytes.Equal(got, data) {
			t.Fatal("payload read back differently")
		}
	})

	t.Run("ConcurrentPutsOneWins", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		k := pkey("t1", "race")
		const size = 256 << 10
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			winner = -1
			wins   int
		)
		for i := range concurrency / 2 {
			wg.Go(func() {
				_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, onlyReader{bytes.NewReader(pattern(byte(i), size))})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
					winner = i
				} else if !errors.Is(err, msh.ErrDuplicate) {
					t.Errorf("writer %d: %v", i, err)
				}
			})
		}
		// A reader racing the writers sees nothing or one whole payload.
		wg.Go(func() {
			for range 50 {
				rc, _, err := in.Port.OpenPayload(ctx, k)
				if errors.Is(err, msh.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Errorf("OpenPayload during race: %v", err)
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || len(b) != size {
					t.Errorf("reader saw %d bytes (err %v), want %d", len(b), err, size)
				}
				return
			}
		})
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d concurrent puts won, want exactly 1", wins)
		}
		if got := readAll(t, in.Port, k); !bytes.Equal(got, pattern(byte(winner), size)) {
			t.Fatal("stored payload is not exactly the winner's")
		}
	})

	t.Run("SizeLimit", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		k := pkey("t1", "capped")
		_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k, Limit: 1000}, onlyReader{bytes.NewReader(pattern(1, 1001))})
		isErr(t, "PutPayload(limit+1)", err, msh.ErrTooLarge)
		_, _, err = in.Port.OpenPayload(ctx, k)
		isErr(t, "OpenPayload after a refused put", err, msh.ErrNotFound)
		_, err = in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k, Limit: 1000}, onlyReader{bytes.NewReader(pattern(1, 1000))})
		noErr(t, "PutPayload(exactly the limit)", err)
	})

	t.Run("FailingBodyLeavesNothing", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		k := pkey("t1", "broken")
		boom := errors.New("connection reset")
		_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, &failingReader{data: pattern(2, 100_000), err: boom})
		isErr(t, "PutPayload(failing body)", err, boom)
		_, _, err = in.Port.OpenPayload(ctx, k)
		isErr(t, "OpenPayload after a failed put", err, msh.ErrNotFound)
		_, err = in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader([]byte("retry")))
		noErr(t, "PutPayload retry after a failed put", err)
		if got := readAll(t, in.Port, k); string(got) != "retry" {
			t.Fatalf("payload = %q, want %q", got, "retry")
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		k := pkey("t1", "canceled")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := in.Port.PutPayload(cctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader([]byte("x")))
		isErr(t, "PutPayload(canceled)", err, context.Canceled)
		_, _, err = in.Port.OpenPayload(ctx, k)
		isErr(t, "OpenPayload after a canceled put", err, msh.ErrNotFound)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: pkey("tenant-a", "doc")}, bytes.NewReader([]byte("A's")))
		noErr(t, "PutPayload(A)", err)
		_, err = in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: pkey("tenant-a", "../tenant-b/doc2")}, bytes.NewReader([]byte("A's traversal")))
		noErr(t, "PutPayload(A, dotted name)", err)
		for _, name := range []string{"doc", "doc2", "../tenant-a/doc", "tenant-a/doc"} {
			_, _, err = in.Port.OpenPayload(ctx, pkey("tenant-b", name))
			isErr(t, "B opens "+name, err, msh.ErrNotFound)
		}
		_, err = in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: pkey("tenant-b", "doc")}, bytes.NewReader([]byte("B's")))
		noErr(t, "PutPayload(B, same name)", err)
		if a, b := readAll(t, in.Port, pkey("tenant-a", "doc")), readAll(t, in.Port, pkey("tenant-b", "doc")); string(a) != "A's" || string(b) != "B's" {
			t.Fatalf("tenants' payloads mixed: A=%q B=%q", a, b)
		}
		if d, ok := in.Port.(msh.PayloadDeleter); ok {
			isErr(t, "B deletes A's", d.DeletePayload(ctx, pkey("tenant-b", "doc2")), msh.ErrNotFound)
			noErr(t, "B deletes its own", d.DeletePayload(ctx, pkey("tenant-b", "doc")))
			if a := readAll(t, in.Port, pkey("tenant-a", "doc")); string(a) != "A's" {
				t.Fatalf("B's delete touched A's payload: %q", a)
			}
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, k := range badKeys {
			_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: pkey(k.tenant, k.id)}, bytes.NewReader(nil))
			isErr(t, "PutPayload("+k.name+")", err, msh.ErrInvalid)
			_, _, err = in.Port.OpenPayload(ctx, pkey(k.tenant, k.id))
			isErr(t, "OpenPayload("+k.name+")", err, msh.ErrInvalid)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		d, ok := in.Port.(msh.PayloadDeleter)
		if !ok {
			t.Skip("adapter has no PayloadDeleter")
		}
		k := pkey("t1", "gone")
		_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader([]byte("v1")))
		noErr(t, "PutPayload", err)
		noErr(t, "DeletePayload", d.DeletePayload(ctx, k))
		_, _, err = in.Port.OpenPayload(ctx, k)
		isErr(t, "OpenPayload after delete", err, msh.ErrNotFound)
		isErr(t, "DeletePayload again", d.DeletePayload(ctx, k), msh.ErrNotFound)
		_, err = in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader([]byte("v2")))
		noErr(t, "PutPayload after delete", err)
	})

	t.Run("Durable", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		if in.Reopen == nil {
			t.Skip("adapter has no Reopen")
		}
		k := pkey("t1", "durable")
		data := pattern(3, 70_000)
		_, err := in.Port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader(data))
		noErr(t, "PutPayload", err)
		port := in.Reopen(t)
		if got := readAll(t, port, k); !bytes.Equal(got, data) {
			t.Fatal("payload differs after reopen")
		}
		_, err = port.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: k}, bytes.NewReader(nil))
		isErr(t, "PutPayload after reopen", err, msh.ErrDuplicate)
	})
}
