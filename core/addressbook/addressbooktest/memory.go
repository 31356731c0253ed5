// Package addressbooktest holds an in-memory address book store for tests and the
// local demo.
package addressbooktest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/brevduva/brevduva/core/addressbook"
)

// Memory implements addressbook.OrgStore and addressbook.AddressStore; safe for
// concurrent use. Searches scan everything, which is fine for tests and demos.
type Memory struct {
	mu    sync.RWMutex
	orgs  map[string]addressbook.Organization
	addrs map[string]addressbook.Address
}

var (
	_ addressbook.OrgStore     = (*Memory)(nil)
	_ addressbook.AddressStore = (*Memory)(nil)
)

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{orgs: map[string]addressbook.Organization{}, addrs: map[string]addressbook.Address{}}
}

// Book returns an addressbook.Book over m.
func (m *Memory) Book() addressbook.Book { return addressbook.Book{Orgs: m, Addresses: m} }

func (m *Memory) PutOrganization(_ context.Context, o addressbook.Organization) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orgs[o.ID] = o
	return nil
}

func (m *Memory) Organization(_ context.Context, id string) (addressbook.Organization, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.orgs[id]
	if !ok {
		return o, fmt.Errorf("addressbooktest: organisation %q: %w", id, addressbook.ErrNotFound)
	}
	return o, nil
}

func (m *Memory) DeleteOrganization(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[id]; !ok {
		return fmt.Errorf("addressbooktest: organisation %q: %w", id, addressbook.ErrNotFound)
	}
	delete(m.orgs, id)
	return nil
}

func (m *Memory) SearchOrganizations(_ context.Context, q addressbook.OrgQuery, p addressbook.Page) ([]addressbook.Organization, int, error) {
	m.mu.RLock()
	var all []addressbook.Organization
	for _, o := range m.orgs {
		if q.Matches(o) {
			all = append(all, o)
		}
	}
	m.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return less(all[i].Name, all[i].ID, all[j].Name, all[j].ID) })
	return page(all, p), len(all), nil
}

func (m *Memory) PutAddress(_ context.Context, a addressbook.Address) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addrs[a.ID] = a
	return nil
}

func (m *Memory) Address(_ context.Context, id string) (addressbook.Address, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	a, ok := m.addrs[id]
	if !ok {
		return a, fmt.Errorf("addressbooktest: address %q: %w", id, addressbook.ErrNotFound)
	}
	return a, nil
}

func (m *Memory) DeleteAddress(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.addrs[id]; !ok {
		return fmt.Errorf("addressbooktest: address %q: %w", id, addressbook.ErrNotFound)
	}
	delete(m.addrs, id)
	return nil
}

func (m *Memory) SearchAddresses(_ context.Context, q addressbook.AddressQuery, p addressbook.Page) ([]addressbook.Address, int, error) {
	m.mu.RLock()
	var all []addressbook.Address
	for _, a := range m.addrs {
		if q.Matches(a) {
			all = append(all, a)
		}
	}
	m.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return less(all[i].Name, all[i].ID, all[j].Name, all[j].ID) })
	return page(all, p), len(all), nil
}

func less(n1, id1, n2, id2 string) bool {
	if addressbook.Less(n1, n2) {
		return true
	}
	if addressbook.Less(n2, n1) {
		return false
	}
	return id1 < id2
}

func page[T any](all []T, p addressbook.Page) []T {
	off := p.Offset()
	if off >= len(all) || p.Size <= 0 {
		return []T{}
	}
	end := off + p.Size
	if end > len(all) {
		end = len(all)
	}
	return all[off:end]
}
