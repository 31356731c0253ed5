package smp

import (
	"sync"
	"time"
)

// Cache is a bounded TTL cache of values and of errors (negative caching) on an
// injected clock. It is safe for concurrent use.
type Cache[V any] struct {
	now func() time.Time
	max int

	mu sync.Mutex
	m  map[string]cacheEntry[V]
}

type cacheEntry[V any] struct {
	v   V
	err error
	exp time.Time
}

// NewCache returns a cache of at most max entries (max < 1 means 4096).
func NewCache[V any](now func() time.Time, max int) *Cache[V] {
	if max < 1 {
		max = 4096
	}
	return &Cache[V]{now: now, max: max, m: map[string]cacheEntry[V]{}}
}

// Get returns the live entry for key: its value or error, and whether there was one.
func (c *Cache[V]) Get(key string) (V, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || !c.now().Before(e.exp) {
		var zero V
		return zero, nil, false
	}
	return e.v, e.err, true
}

// Put stores v (or err) for ttl; ttl <= 0 stores nothing. When full, expired entries
// are dropped, then arbitrary ones.
func (c *Cache[V]) Put(key string, v V, err error, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = cacheEntry[V]{v: v, err: err, exp: now.Add(ttl)}
}

// Len returns the number of entries, live or expired.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
