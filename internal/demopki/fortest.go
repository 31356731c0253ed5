package demopki

import (
	"sync"
	"testing"
	"time"
)

// The validity of ForTest's certificates.
var (
	TestNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	TestNotAfter  = time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)
)

var (
	testOnce sync.Once
	testSet  *Set
	testErr  error
)

// ForTest returns a demo PKI with RSA-2048 keys, made once per test binary and
// shared by all tests in it (key generation dominates test time otherwise).
//
// Its certificates are valid from TestNotBefore to TestNotAfter, so that tests may
// run their clocks at any fixed date in between, whenever the test runs: a test
// PKI valid from "now" breaks every test with a fixed clock an hour later.
func ForTest(t testing.TB) *Set {
	t.Helper()
	testOnce.Do(func() {
		testSet, testErr = DemoWith(Options{Bits: 2048, NotBefore: TestNotBefore, NotAfter: TestNotAfter})
	})
	if testErr != nil {
		t.Fatalf("demo PKI: %v", testErr)
	}
	return testSet
}

// Leaf returns the leaf certificate named name (for example "ap-a", "org-b").
func (s *Set) Leaf(name string) *Cert {
	for _, l := range s.Leaves {
		if l.Name == name {
			return l
		}
	}
	panic("internal error: demo PKI has no leaf " + name)
}

// CA returns the authority named name (for example "ap-ca").
func (s *Set) CA(name string) *Authority {
	for _, c := range s.CAs {
		if c.Name == name {
			return c
		}
	}
	panic("internal error: demo PKI has no CA " + name)
}
