package demopki

import (
	"sync"
	"testing"
)

var (
	testOnce sync.Once
	testSet  *Set
	testErr  error
)

// ForTest returns a demo PKI with RSA-2048 keys, made once per test binary and
// shared by all tests in it (key generation dominates test time otherwise).
func ForTest(t testing.TB) *Set {
	t.Helper()
	testOnce.Do(func() { testSet, testErr = Demo(2048) })
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
