// Package smptest holds an in-memory smp.Store for tests and the local demo.
package smptest

import (
	"context"
	"fmt"
	"sync"

	"github.com/brevduva/brevduva/core/smp"
)

// Memory is an in-memory smp.Store, safe for concurrent use. It stores copies.
type Memory struct {
	mu sync.RWMutex
	m  map[string]smp.Registration
}

var _ smp.Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{m: map[string]smp.Registration{}} }

// Get implements smp.Store.
func (s *Memory) Get(_ context.Context, p smp.Identifier) (*smp.Registration, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.m[p.Key()]
	if !ok {
		return nil, fmt.Errorf("smptest: participant %s: %w", p, smp.ErrNotFound)
	}
	c := clone(r)
	return &c, nil
}

// Put implements smp.Store.
func (s *Memory) Put(_ context.Context, r *smp.Registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[r.Participant.Key()] = clone(*r)
	return nil
}

// Delete implements smp.Store.
func (s *Memory) Delete(_ context.Context, p smp.Identifier) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[p.Key()]; !ok {
		return fmt.Errorf("smptest: participant %s: %w", p, smp.ErrNotFound)
	}
	delete(s.m, p.Key())
	return nil
}

func clone(r smp.Registration) smp.Registration {
	r.Services = append([]smp.Service(nil), r.Services...)
	for i := range r.Services {
		r.Services[i].Endpoints = append([]smp.Endpoint(nil), r.Services[i].Endpoints...)
	}
	r.Certificates = append(r.Certificates[:0:0], r.Certificates...)
	return r
}
