package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/internal/localsys"
)

// envChild carries a Scenario (JSON) to the re-executed test binary; envSweep selects the
// full sweep ("full") instead of the quick subset; envMessages sets how many messages each
// scenario sends (default 2: one accepted, one rejected; the points of the full sweep come
// from a clean run of as many).
const (
	envChild    = "BREVDUVA_FAULTS_CHILD"
	envSweep    = "BREVDUVA_FAULTS"
	envMessages = "BREVDUVA_FAULTS_MESSAGES"
)

// scenarioTimeout bounds one run until every message is finished.
const scenarioTimeout = 90 * time.Second

var (
	demoOnce sync.Once
	demoDir  string
	demoErr  error
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(envChild); spec != "" {
		os.Exit(child(spec))
	}
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

// child runs one scenario as this process: the local system until every message is
// finished, or until the parent kills it at a crash point.
func child(spec string) int {
	var sc Scenario
	if err := json.Unmarshal([]byte(spec), &sc); err != nil {
		fmt.Fprintln(os.Stderr, "faults child:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := Run(context.Background(), sc, os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "faults child:", err)
		return 1
	}
	return 0
}

// demoConfig is the config.json of one demo folder per test binary (key generation
// dominates otherwise); every scenario has its own data folder.
func demoConfig(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "brevduva-faults-")
		if demoErr == nil {
			_, _, demoErr = localsys.InitDemo(demoDir, localsys.DemoOptions{FreePorts: true})
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return filepath.Join(demoDir, localsys.DemoConfigFile)
}

// result is the outcome of one injected fault.
type result struct {
	mode   string // "kill -9" or "storage error"
	point  Point
	fired  bool
	faults int // faults injected (a point may kill more than once)
	report Report
}

// tally collects results for the summary table.
type tally struct {
	mu      sync.Mutex
	results []result
}

func (ta *tally) add(r result) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.results = append(ta.results, r)
}

// table is the summary: per mode and phase, the points tried, the faults injected
// (points reached), the messages and their outcome.
func (ta *tally) table() string {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	type row struct{ points, fired, faults, msgs, accepted, rejected, mee, lost, dup, problems int }
	rows := map[string]*row{}
	for _, r := range ta.results {
		k := r.mode + " " + string(r.point.Phase)
		if rows[k] == nil {
			rows[k] = &row{}
		}
		w := rows[k]
		w.points++
		if !r.fired {
			continue
		}
		w.fired++
		w.faults += r.faults
		w.msgs += r.report.Messages
		w.accepted += r.report.States[msh.StateAccepted]
		w.rejected += r.report.States[msh.StateRejected]
		w.mee += r.report.States[msh.StateMessageExchangeError]
		w.lost += r.report.Lost
		w.dup += r.report.Duplicated
		if !r.report.OK() {
			w.problems++
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("| fault | phase | points | points reached | faults injected | messages | ACCEPTED | REJECTED | MESSAGE_EXCHANGE_ERROR | lost | duplicated | runs with problems |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, k := range keys {
		w := rows[k]
		i := strings.LastIndexByte(k, ' ')
		mode, phase := k[:i], k[i+1:]
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n", mode, phase, w.points, w.fired, w.faults, w.msgs,
			w.accepted, w.rejected, w.mee, w.lost, w.dup, w.problems)
	}
	return b.String()
}

// readOnly ops change nothing: a fault after them is the same as before.
var readOnly = map[string]bool{"GetInbound": true, "GetOutbound": true, "OpenPayload": true, "GetMail": true,
	"ListMail": true, "ListOutbound": true, "ListDead": true, "Lookup": true}

// quickKill and quickStorage are the default subset: a fault in each stage of the exchange.
var quickKill = []Point{
	{TenantA, "CreateOutbound", Before, 1}, // submission: payload and work item stored, no record; the client retries
	{TenantA, "Lease", After, 1},           // the send item leased by the process that dies
	{TenantA, "Post", After, 1},            // B stored the message; A dies before it reads the receipt
	{TenantB, "PutInbound", After, 1},      // B stored it and dies before answering
	{TenantB, "Deliver", After, 1},         // in the mailbox, no kvittens queued yet
	{TenantB, "Post", After, 1},            // the kvittens crossed; B dies before its receipt
	{TenantA, "SwapOutbound", After, 3},    // a later outbox state written (a receipt or kvittens applied), the item never acked
}

var quickStorage = []Point{
	{TenantA, "PutPayload", After, 1},
	{TenantA, "Enqueue", Before, 1},
	{TenantA, "Post", After, 1},
	{TenantB, "Register", After, 1},
	{TenantB, "PutInbound", After, 1},
	{TenantB, "Deliver", After, 1},
	{TenantB, "CreateOutbound", After, 1},
	{TenantA, "Ack", Before, 1},
}

// sweep is every point of a clean run's calls: Before each call (but a Lease, whose
// Before is an idle poll) and After each successful write.
func sweep(counts []Count) []Point {
	var out []Point
	for _, c := range counts {
		if (c.Phase == Before && c.Op == "Lease") || (c.Phase == After && readOnly[c.Op]) {
			continue
		}
		for n := 1; n <= c.N; n++ {
			out = append(out, Point{c.Tenant, c.Op, c.Phase, n})
		}
	}
	return out
}

// scenarioMessages is the number of messages of every scenario.
func scenarioMessages(t *testing.T) int {
	v := os.Getenv(envMessages)
	if v == "" {
		return 2 // one accepted, one rejected
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		t.Fatalf("%s=%q: want 1..100", envMessages, v)
	}
	return n
}

// full reports whether BREVDUVA_FAULTS=full asks for the full sweep.
func full() bool { return os.Getenv(envSweep) == "full" }

// points returns the quick subset, or in the full sweep every point of a clean run.
func points(t *testing.T, quick []Point) []Point {
	t.Helper()
	if !full() {
		return quick
	}
	sc := Scenario{Config: demoConfig(t), DataDir: t.TempDir(), Messages: scenarioMessages(t), Timeout: scenarioTimeout}
	in, err := Run(context.Background(), sc, io.Discard, nil)
	if err != nil {
		t.Fatalf("clean run: %v", err)
	}
	ps := sweep(in.Counts())
	t.Logf("full sweep: %d points from the calls of a clean run", len(ps))
	return ps
}

// TestKill9 kills the local system (SIGKILL) at port calls of the send, receive and
// deliver paths, restarts it on the same data folder, lets the clients retry, and checks
// the stores.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	ps := points(t, quickKill)
	kills := 1
	if full() {
		kills = 2 // and again in the recovering process
	}
	ta := &tally{}
	t.Cleanup(func() { t.Logf("kill -9 results:\n%s", ta.table()) })
	for _, p := range ps {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			r := killAt(t, p, kills)
			ta.add(r)
			requireOutcome(t, r, !full())
		})
	}
}

// TestKill9Random kills the local system at random moments while several messages are on
// their way — inside a bbolt write or fsync, a TLS handshake, a seal, between two port
// calls — restarting it on the same data folder each time, and checks the stores when it is
// done. The delays come from a logged seed.
func TestKill9Random(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	t.Parallel()
	kills, msgs := 3, 6
	if full() {
		kills, msgs = 12, 10
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	dir := t.TempDir()
	sc := Scenario{Config: demoConfig(t), DataDir: dir, Messages: msgs, Timeout: scenarioTimeout}
	r := result{mode: "kill -9 at random", point: Point{Phase: "any"}}
	for range kills {
		if runChild(t, sc, time.Duration(50+rng.IntN(1500))*time.Millisecond) {
			r.faults++
		}
	}
	if runChild(t, sc, 0) {
		t.Fatal("the last run was killed")
	}
	r.fired = r.faults > 0
	var err error
	if r.report, err = Check(context.Background(), dir, msgs); err != nil {
		t.Fatal(err)
	}
	ta := &tally{}
	ta.add(r)
	t.Logf("%d of %d runs killed:\n%s", r.faults, kills, ta.table())
	requireOutcome(t, r, true)
}

// TestStorageErrors fails one port call (before it reaches the adapter, or after it took
// effect), lets the engines retry, and checks the stores.
func TestStorageErrors(t *testing.T) {
	ps := points(t, quickStorage)
	ta := &tally{}
	var again atomic.Int64 // AS4 messages received again (Register of a MessageId seen before or re-tried)
	t.Cleanup(func() {
		t.Logf("storage error results:\n%s", ta.table())
		t.Logf("AS4 messages received more than once (resends, duplicate detection struck): %d", again.Load())
	})
	for _, p := range ps {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sc := Scenario{Config: demoConfig(t), DataDir: dir, Messages: scenarioMessages(t), Points: []Point{p}, Timeout: scenarioTimeout}
			in, err := Run(context.Background(), sc, io.Discard, nil)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			r := result{mode: "storage error", point: p, fired: len(in.Fired()) == 1, faults: len(in.Fired())}
			again.Add(int64(receivedAgain(in.Counts(), sc.Messages)))
			if r.report, err = Check(context.Background(), dir, sc.Messages); err != nil {
				t.Fatal(err)
			}
			ta.add(r)
			requireOutcome(t, r, !full())
		})
	}
}

// receivedAgain is how many more times the two APs registered a received MessageId than
// there were AS4 messages (each message, and its kvittens back).
func receivedAgain(counts []Count, messages int) int {
	n := -2 * messages
	for _, c := range counts {
		if c.Op == "Register" && c.Phase == Before {
			n += c.N
		}
	}
	return n
}

// requireOutcome fails on any problem the checker found; a point that was never reached
// fails the quick subset (its points are chosen to be reached) and is only counted in a
// sweep (the call counts of a clean run vary a little with timing).
func requireOutcome(t *testing.T, r result, mustFire bool) {
	t.Helper()
	if !r.fired {
		if mustFire {
			t.Fatalf("%s was never reached: the test proved nothing", r.point)
		}
		t.Logf("%s not reached in this run", r.point)
	}
	for _, p := range r.report.Problems {
		t.Error(p)
	}
}

// killAt runs the scenario in a child process armed to crash at p and kills it there
// with SIGKILL; it restarts it armed again (the same call of the recovering process) up
// to kills times in all, then unarmed on the same data folder, and checks the stores.
func killAt(t *testing.T, p Point, kills int) result {
	dir := t.TempDir()
	sc := Scenario{Config: demoConfig(t), DataDir: dir, Messages: scenarioMessages(t), Points: []Point{p}, Crash: true, Timeout: scenarioTimeout}
	r := result{mode: "kill -9", point: p}
	for r.faults < kills && runChild(t, sc, 0) {
		r.faults++
	}
	r.fired = r.faults > 0
	sc.Points, sc.Crash = nil, false
	if runChild(t, sc, 0) {
		t.Fatal("the restarted child crashed")
	}
	var err error
	if r.report, err = Check(context.Background(), dir, sc.Messages); err != nil {
		t.Fatal(err)
	}
	return r
}

// runChild runs sc in a re-executed test binary and reports whether it was killed
// (SIGKILL) at a crash point, or killAfter (if not 0) after it started; a child that ends
// otherwise must end quiet with exit status 0.
func runChild(t *testing.T, sc Scenario, killAfter time.Duration) (killed bool) {
	t.Helper()
	spec, _ := json.Marshal(sc)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+string(spec))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(scenarioTimeout+30*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	var sent atomic.Bool
	kill := func() {
		if sent.CompareAndSwap(false, true) {
			_ = cmd.Process.Signal(syscall.SIGKILL) // fails only if it has exited already
		}
	}
	quietSeen := false
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		switch line := lines.Text(); {
		case line == lineStarted && killAfter > 0:
			defer time.AfterFunc(killAfter, kill).Stop()
		case strings.HasPrefix(line, lineCrash):
			kill()
		case line == lineQuiet:
			quietSeen = true
		}
	}
	err = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case sent.Load() && ws.Signaled() && ws.Signal() == syscall.SIGKILL:
		return true
	case err != nil || !quietSeen:
		t.Fatalf("child: %v (quiet %v, kill sent %v)\nstderr:\n%s", err, quietSeen, sent.Load(), tail(stderr.String()))
	}
	return false
}

func tail(s string) string {
	if len(s) > 6000 {
		return "…" + s[len(s)-6000:]
	}
	return s
}
