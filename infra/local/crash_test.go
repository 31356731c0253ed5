package local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
)

// The crash-safety test: a child process (this test binary, re-executed) writes through
// every local adapter and prints a line after each write returned; the parent kills it
// with SIGKILL at a random moment, reopens the data directory and checks that every
// acknowledged write is there, that no partial payload is visible, and that the indexes
// agree with their records. SIGKILL tests process crashes; the kernel still holds the
// page cache, so this does not prove durability against power loss (the fsyncs do that).

const (
	crashEnvDir  = "BREVDUVA_CRASH_DIR"
	crashEnvRun  = "BREVDUVA_CRASH_RUN"
	crashTenant  = "crash"
	crashMailbox = "urn:fdc:crash:box"
)

var crashT0 = mshtest.T0

func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashEnvDir); dir != "" {
		crashChild(dir, os.Getenv(crashEnvRun))
		return
	}
	if testing.Short() {
		t.Skip("crash test re-executes the test binary")
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	acked := &crashLog{}
	for run := range crashKills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, fmt.Sprint(crashEnvRun, "=", run))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan []string, 1)
		ready := make(chan struct{})
		go func() { lines <- readLines(out, ready) }()
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("child never became ready")
		}
		time.Sleep(time.Duration(5+rng.IntN(200)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		got := <-lines
		_ = cmd.Wait() // "signal: killed"
		if ps := cmd.ProcessState; ps.Exited() {
			t.Fatalf("run %d: the child exited by itself (status %d) before the kill", run, ps.ExitCode())
		}
		acked.add(got)
		crashVerify(t, dir, run, acked)
	}
	t.Logf("%d kills; acknowledged: %d payloads, %d inbound, %d guard, %d enqueued (%d acked), %d mail, %d outbox",
		crashKills, len(acked.payloads), len(acked.inbound), len(acked.guard), len(acked.enqueued), len(acked.queueAcked), len(acked.mail), len(acked.outbox))
	if len(acked.payloads) == 0 || len(acked.enqueued) == 0 {
		t.Fatal("the children acknowledged nothing: the test proved nothing")
	}
}

func readLines(r io.Reader, ready chan<- struct{}) []string {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == "ready" {
			close(ready)
			continue
		}
		out = append(out, sc.Text())
	}
	return out
}

type crashLog struct {
	payloads, inbound, guard, enqueued, queueAcked, queueAcking, mail []string
	outbox                                                            map[string]msh.State
}

func (l *crashLog) add(lines []string) {
	if l.outbox == nil {
		l.outbox = map[string]msh.State{}
	}
	for _, line := range lines {
		kind, id, _ := strings.Cut(line, " ")
		switch kind {
		case "P":
			l.payloads = append(l.payloads, id)
		case "I":
			l.inbound = append(l.inbound, id)
		case "G":
			l.guard = append(l.guard, id)
		case "Q":
			l.enqueued = append(l.enqueued, id)
		case "a":
			l.queueAcking = append(l.queueAcking, id)
		case "A":
			l.queueAcked = append(l.queueAcked, id)
		case "D":
			l.mail = append(l.mail, id)
		case "O":
			id, st, _ := strings.Cut(id, " ")
			l.outbox[id] = msh.State(st)
		}
	}
}

// crashPayload is self-checking content: sha256(rest) || rest, of a size derived from name.
func crashPayload(name string) []byte {
	h := sha256.Sum256([]byte(name))
	n := int(binary.BigEndian.Uint32(h[:4]) % (300 << 10))
	rest := make([]byte, n)
	for i := range rest {
		rest[i] = h[i%32] ^ byte(i>>8)
	}
	sum := sha256.Sum256(rest)
	return append(sum[:], rest...)
}

func selfChecks(b []byte) bool {
	if len(b) < 32 {
		return false
	}
	sum := sha256.Sum256(b[32:])
	return bytes.Equal(sum[:], b[:32])
}

// trickle yields its bytes 16 KiB at a time with a pause, as a network body would, so
// that kills often land in the middle of a payload.
type trickle struct{ b []byte }

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(300 * time.Microsecond)
	n := copy(p[:min(len(p), 16<<10)], r.b)
	r.b = r.b[n:]
	return n, nil
}

var crashPath = []msh.State{msh.StateNew, msh.StateScheduled, msh.StateSubmitted, msh.StateWaitingForReceipt}

func crashChild(dir, run string) {
	ctx := context.Background()
	die := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
	db, err := OpenDB(filepath.Join(dir, "brevduva.db"))
	if err != nil {
		die(err)
	}
	files, err := NewFiles(filepath.Join(dir, "payloads"))
	if err != nil {
		die(err)
	}
	clock := mshtest.NewClock(crashT0)
	msgs, guard, queue, mbox := NewMessages(db), NewGuard(db, clock), NewQueue(db, clock, 1000), NewMailbox(db)
	say := func(format string, a ...any) { fmt.Fprintf(os.Stdout, format+"\n", a...) }
	say("ready")
	deadline := time.Now().Add(10 * time.Second)
	for j := 0; time.Now().Before(deadline); j++ {
		id := fmt.Sprintf("r%s-%d", run, j)
		name := "p-" + id
		if _, err := files.PutPayload(ctx, msh.PutPayloadRequest{PayloadKey: msh.PayloadKey{Tenant: crashTenant, Name: name}}, &trickle{b: crashPayload(name)}); err != nil {
			die(err)
		}
		say("P %s", name)
		if err := msgs.PutInbound(ctx, msh.InboundMessage{MessageKey: msh.MessageKey{Tenant: crashTenant, MessageID: id}, Receipt: []byte("receipt " + id)}); err != nil {
			die(err)
		}
		say("I %s", id)
		if _, err := guard.Register(ctx, msh.GuardRequest{Tenant: crashTenant, MessageID: id, Expires: crashT0.Add(1000 * time.Hour)}); err != nil {
			die(err)
		}
		say("G %s", id)
		if err := queue.Enqueue(ctx, msh.QueueItem{Tenant: crashTenant, ID: id, Body: []byte(id)}); err != nil {
			die(err)
		}
		say("Q %s", id)
		if j%2 == 1 {
			l, err := queue.Lease(ctx, msh.LeaseRequest{Tenant: crashTenant, Visibility: time.Minute})
			if err != nil {
				die(err)
			}
			if j%4 == 1 {
				say("a %s", l.Item.ID)
				if err := queue.Ack(ctx, msh.LeaseRef{Tenant: crashTenant, Handle: l.Handle}); err != nil {
					die(err)
				}
				say("A %s", l.Item.ID)
			} // else: leased and never acked — the lease must run out after the crash
		}
		if err := mbox.Deliver(ctx, msh.MailItem{MailKey: msh.MailKey{Tenant: crashTenant, Address: crashMailbox, MessageID: id}, DeliveredAt: clock.Now()}); err != nil {
			die(err)
		}
		say("D %s", id)
		k := msh.MessageKey{Tenant: crashTenant, MessageID: id}
		if err := msgs.CreateOutbound(ctx, msh.NewOutbound(k, msh.StateNew, clock.Now())); err != nil {
			die(err)
		}
		say("O %s %s", id, msh.StateNew)
		for _, st := range crashPath[1:] {
			if _, err := msh.Transition(ctx, msgs, msh.TransitionRequest{MessageKey: k, To: st, At: clock.Now()}); err != nil {
				die(err)
			}
			say("O %s %s", id, st)
		}
	}
	os.Exit(0)
}

func crashVerify(t *testing.T, dir string, run int, acked *crashLog) {
	t.Helper()
	ctx := context.Background()
	fail := func(format string, a ...any) { t.Fatalf("after kill %d: "+format, append([]any{run}, a...)...) }

	// Payloads: every acknowledged one whole; every visible file whole.
	files, err := NewFiles(filepath.Join(dir, "payloads"))
	if err != nil {
		fail("%v", err)
	}
	for _, name := range acked.payloads {
		rc, _, err := files.OpenPayload(ctx, msh.PayloadKey{Tenant: crashTenant, Name: name})
		if err != nil {
			fail("acknowledged payload %s: %v", name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, crashPayload(name)) {
			fail("acknowledged payload %s differs (%d bytes, %v)", name, len(b), err)
		}
	}
	err = filepath.WalkDir(filepath.Join(dir, "payloads"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Base(filepath.Dir(p)) == "tmp" {
			return fmt.Errorf("temporary file %s survived NewFiles", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !selfChecks(b) {
			return fmt.Errorf("partial payload visible: %s (%d bytes)", p, len(b))
		}
		return nil
	})
	if err != nil {
		fail("%v", err)
	}

	db, err := OpenDB(filepath.Join(dir, "brevduva.db"))
	if err != nil {
		fail("%v", err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	}); err != nil {
		fail("bbolt check: %v", err)
	}
	later := mshtest.NewClock(crashT0.Add(2 * time.Hour)) // every child lease has run out
	msgs, guard, queue, mbox := NewMessages(db), NewGuard(db, later), NewQueue(db, later, 1000), NewMailbox(db)

	for _, id := range acked.inbound {
		m, err := msgs.GetInbound(ctx, msh.MessageKey{Tenant: crashTenant, MessageID: id})
		if err != nil || string(m.Receipt) != "receipt "+id {
			fail("acknowledged inbound %s: %+v %v", id, m, err)
		}
	}
	for _, id := range acked.guard {
		seen, err := guard.Register(ctx, msh.GuardRequest{Tenant: crashTenant, MessageID: id, Expires: crashT0.Add(1000 * time.Hour)})
		if err != nil || !seen {
			fail("acknowledged registration %s: seen %v, %v", id, seen, err)
		}
	}
	for id, st := range acked.outbox {
		m, err := msgs.GetOutbound(ctx, msh.MessageKey{Tenant: crashTenant, MessageID: id})
		if err != nil {
			fail("acknowledged outbound %s: %v", id, err)
		}
		want := indexOf(crashPath, st)
		got := indexOf(crashPath, m.State)
		if got < want || got > want+1 || m.Version != int64(got+1) || len(m.History) != got+1 {
			fail("outbound %s: %s v%d (%d events), acknowledged %s", id, m.State, m.Version, len(m.History), st)
		}
	}
	for _, id := range acked.mail {
		if _, err := mbox.GetMail(ctx, msh.MailKey{Tenant: crashTenant, Address: crashMailbox, MessageID: id}); err != nil {
			fail("acknowledged delivery %s: %v", id, err)
		}
	}
	listed := map[string]bool{}
	for cursor := ""; ; {
		p, err := mbox.ListMail(ctx, msh.ListMailRequest{Tenant: crashTenant, Address: crashMailbox, Cursor: cursor, Limit: msh.MaxListLimit})
		if err != nil {
			fail("ListMail: %v", err)
		}
		for _, it := range p.Items {
			if listed[it.MessageID] {
				fail("mail %s listed twice", it.MessageID)
			}
			listed[it.MessageID] = true
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	for _, id := range acked.mail {
		if !listed[id] {
			fail("delivered mail %s not listed", id)
		}
	}

	// Queue: acknowledged enqueues not acked are leasable; acked ones are gone.
	gone := map[string]bool{}
	for _, id := range acked.queueAcked {
		gone[id] = true
	}
	maybe := map[string]bool{}
	for _, id := range acked.queueAcking {
		maybe[id] = true
	}
	var leases []msh.Lease
	leased := map[string]bool{}
	for {
		l, err := queue.Lease(ctx, msh.LeaseRequest{Tenant: crashTenant, Visibility: time.Minute})
		if errors.Is(err, msh.ErrEmpty) {
			break
		}
		if err != nil {
			fail("Lease: %v", err)
		}
		if leased[l.Item.ID] {
			fail("queue item %s leased twice", l.Item.ID)
		}
		leased[l.Item.ID] = true
		leases = append(leases, l)
	}
	for _, id := range acked.enqueued {
		switch {
		case gone[id] && leased[id]:
			fail("acked queue item %s came back", id)
		case !gone[id] && !maybe[id] && !leased[id]:
			fail("enqueued queue item %s lost", id)
		}
	}
	for _, l := range leases { // give them back for the next round
		if err := queue.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: crashTenant, Handle: l.Handle}}); err != nil {
			fail("Nack: %v", err)
		}
	}
	if err := checkIndexes(db); err != nil {
		fail("%v", err)
	}
}

// checkIndexes proves each index agrees with its records, both ways.
func checkIndexes(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		ids, exp := bucket(tx, bucketGuard, []byte(crashTenant), subIDs), bucket(tx, bucketGuard, []byte(crashTenant), subExp)
		if ids != nil {
			if n, m := ids.Stats().KeyN, exp.Stats().KeyN; n != m {
				return fmt.Errorf("guard: %d ids, %d expiry entries", n, m)
			}
			if err := ids.ForEach(func(k, v []byte) error {
				if exp.Get(compose(v, string(k))) == nil {
					return fmt.Errorf("guard: %s has no expiry entry", k)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		items, due := bucket(tx, bucketQueue, []byte(crashTenant), subItems), bucket(tx, bucketQueue, []byte(crashTenant), subDue)
		if items != nil {
			if n, m := items.Stats().KeyN, due.Stats().KeyN; n != m {
				return fmt.Errorf("queue: %d items, %d due entries", n, m)
			}
			if err := items.ForEach(func(k, v []byte) error {
				var rec queueRec
				if err := decodeRecord(v, &rec); err != nil {
					return err
				}
				if due.Get(compose(timeKey(rec.VisibleAt), string(k))) == nil {
					return fmt.Errorf("queue: %s has no due entry at %v", k, rec.VisibleAt)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		mitems := bucket(tx, bucketMailbox, []byte(crashTenant), []byte(crashMailbox), subItems)
		order := bucket(tx, bucketMailbox, []byte(crashTenant), []byte(crashMailbox), subOrder)
		if mitems != nil {
			if n, m := mitems.Stats().KeyN, order.Stats().KeyN; n != m {
				return fmt.Errorf("mailbox: %d items, %d order entries", n, m)
			}
			return mitems.ForEach(func(k, v []byte) error {
				var rec mailRec
				if err := decodeRecord(v, &rec); err != nil {
					return err
				}
				if got := order.Get(seqKey(rec.Seq)); string(got) != string(k) {
					return fmt.Errorf("mailbox: %s at seq %d, order says %q", k, rec.Seq, got)
				}
				return nil
			})
		}
		return nil
	})
}

func indexOf(path []msh.State, s msh.State) int {
	for i, p := range path {
		if p == s {
			return i
		}
	}
	return -1
}
