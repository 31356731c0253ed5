package addressbooktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/brevduva/brevduva/core/addressbook"
)

// Store is what an address book adapter implements: both ports (the Book may take them
// from one value or two).
type Store interface {
	addressbook.OrgStore
	addressbook.AddressStore
}

// Opener returns a new, empty store for one test.
type Opener func(t *testing.T) Store

// RunContract runs every contract test of the address book ports (CheckOrgStore,
// CheckAddressStore, CheckBook) as subtests on fresh stores from open. The
// memory store and every adapter (infra/aws/dynamo) run it.
func RunContract(t *testing.T, open Opener) {
	t.Run("OrgStore", func(t *testing.T) { CheckOrgStore(t, open(t)) })
	t.Run("AddressStore", func(t *testing.T) { CheckAddressStore(t, open(t)) })
	t.Run("Book", func(t *testing.T) { CheckBook(t, open(t)) })
}

func org(id, name string) addressbook.Organization {
	return addressbook.Organization{ID: id, Type: addressbook.TypeOrganization, Name: name,
		ParticipantIdentifier: "0203:" + id + ".se", OrganizationNumber: "212000-" + id, CountryCode: "SE"}
}

// CheckOrgStore checks OrgStore on an empty store s: round trip of every field, replace,
// ErrNotFound from Get and Delete of unknown ids, and Search's filters (Name by Match on
// Name or AlternateName, participant identifier case-insensitively, organisation number,
// parent, type), order (Fold key in Swedish order, then id), paging and total.
func CheckOrgStore(t *testing.T, s addressbook.OrgStore) {
	ctx := context.Background()
	if _, err := s.Organization(ctx, "nope"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	if err := s.DeleteOrganization(ctx, "nope"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
	if got, n, err := s.SearchOrganizations(ctx, addressbook.OrgQuery{}, addressbook.Page{Number: 1, Size: 10}); err != nil || n != 0 || len(got) != 0 {
		t.Fatalf("search empty: %v %d %v", got, n, err)
	}
	full := addressbook.Organization{ID: "gbg", Type: addressbook.TypeOrganization, ParticipantIdentifier: "0203:goteborg.se",
		OrganizationNumber: "212000-1355", Name: "Göteborgs Stad", AlternateName: "Gothenburg",
		Description: "Kommun i Västra Götaland; \"citat\" <och> åäö", CountryCode: "SE"}
	unit := addressbook.Organization{ID: "gbg-sk", Type: addressbook.TypeUnit, ParticipantIdentifier: "0203:goteborg.se",
		OrganizationNumber: "212000-1355", Name: "Skolförvaltningen", CountryCode: "SE", Parent: "gbg"}
	for _, o := range []addressbook.Organization{full, unit, org("orebro", "Örebro kommun"), org("zeta", "Zeta AB"),
		org("angel", "Ängelholms kommun"), org("alvsbyn", "Älvsbyns kommun"), org("a2", "Arboga kommun"), org("a1", "Arboga kommun")} {
		if err := s.PutOrganization(ctx, o); err != nil {
			t.Fatalf("put %s: %v", o.ID, err)
		}
	}
	got, err := s.Organization(ctx, "gbg")
	if err != nil || got != full {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, full)
	}
	if got, err := s.Organization(ctx, "gbg-sk"); err != nil || got != unit {
		t.Fatalf("round trip unit: %v %+v", err, got)
	}
	full.Name, full.AlternateName = "Göteborgs stad", ""
	if err := s.PutOrganization(ctx, full); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Organization(ctx, "gbg"); err != nil || got != full {
		t.Fatalf("replace: %v %+v", err, got)
	}

	search := func(q addressbook.OrgQuery, p addressbook.Page) ([]string, int) {
		t.Helper()
		os, n, err := s.SearchOrganizations(ctx, q, p)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		ids := []string{}
		for _, o := range os {
			ids = append(ids, o.ID)
		}
		return ids, n
	}
	all := addressbook.Page{Number: 1, Size: 100}
	want := []string{"a1", "a2", "gbg", "gbg-sk", "zeta", "alvsbyn", "angel", "orebro"} // z < å < ä < ö; ties by id
	if ids, n := search(addressbook.OrgQuery{}, all); !slices.Equal(ids, want) || n != len(want) {
		t.Fatalf("order: %v %d, want %v", ids, n, want)
	}
	for _, c := range []struct {
		q    addressbook.OrgQuery
		want []string
	}{
		{addressbook.OrgQuery{Name: "göte"}, []string{"gbg"}},
		{addressbook.OrgQuery{Name: "STAD"}, []string{"gbg"}},
		{addressbook.OrgQuery{Name: "kommun"}, []string{"a1", "a2", "alvsbyn", "angel", "orebro"}},
		{addressbook.OrgQuery{Name: "ä"}, []string{"alvsbyn", "angel"}},
		{addressbook.OrgQuery{Name: "a"}, []string{"a1", "a2", "zeta"}}, // "AB" is a word,
		{addressbook.OrgQuery{ParticipantIdentifier: "0203:GOTEBORG.SE"}, []string{"gbg", "gbg-sk"}},
		{addressbook.OrgQuery{ParticipantIdentifier: "0203:GOTEBORG.SE", Type: addressbook.TypeUnit}, []string{"gbg-sk"}},
		{addressbook.OrgQuery{OrganizationNumber: "212000-zeta"}, []string{"zeta"}},
		{addressbook.OrgQuery{Parent: "gbg"}, []string{"gbg-sk"}},
		{addressbook.OrgQuery{Name: "nothing"}, []string{}},
	} {
		if ids, n := search(c.q, all); !slices.Equal(ids, c.want) || n != len(c.want) {
			t.Errorf("search %+v: %v %d, want %v", c.q, ids, n, c.want)
		}
	}
	for _, c := range []struct {
		p    addressbook.Page
		want []string
	}{
		{addressbook.Page{Number: 1, Size: 3}, want[0:3]},
		{addressbook.Page{Number: 3, Size: 3}, want[6:8]},
		{addressbook.Page{Number: 4, Size: 3}, []string{}},
	} {
		if ids, n := search(addressbook.OrgQuery{}, c.p); !slices.Equal(ids, c.want) || n != len(want) {
			t.Errorf("page %+v: %v %d, want %v %d", c.p, ids, n, c.want, len(want))
		}
	}
	if err := s.DeleteOrganization(ctx, "zeta"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Organization(ctx, "zeta"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := s.DeleteOrganization(ctx, "zeta"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, n := search(addressbook.OrgQuery{}, all); n != len(want)-1 {
		t.Fatalf("total after delete: %d", n)
	}
}

// CheckAddressStore checks AddressStore on an empty store s: round trip, replace,
// ErrNotFound, and Search's filters (Name by Match, Identifier, Parent, Parents), order,
// paging and total.
func CheckAddressStore(t *testing.T, s addressbook.AddressStore) {
	ctx := context.Background()
	if _, err := s.Address(ctx, "nope"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	if err := s.DeleteAddress(ctx, "nope"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
	addrs := []addressbook.Address{
		{ID: "x1", Identifier: "urn:fdc:goteborg.se:registrator", Name: "Registrator", Parent: "gbg"},
		{ID: "x2", Identifier: "urn:fdc:goteborg.se:ekonomi", Name: "Ekonomi/Löner", Parent: "gbg"},
		{ID: "x3", Identifier: "urn:fdc:orebro.se:registrator", Name: "Registrator", Parent: "orebro"},
		{ID: "x4", Identifier: "ÖVERFÖRMYNDARE", Name: "Överförmyndare", Parent: "orebro"},
	}
	for _, a := range addrs {
		if err := s.PutAddress(ctx, a); err != nil {
			t.Fatalf("put %s: %v", a.ID, err)
		}
	}
	if got, err := s.Address(ctx, "x4"); err != nil || got != addrs[3] {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	addrs[1].Name = "Ekonomi"
	if err := s.PutAddress(ctx, addrs[1]); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Address(ctx, "x2"); err != nil || got != addrs[1] {
		t.Fatalf("replace: %v %+v", err, got)
	}
	all := addressbook.Page{Number: 1, Size: 100}
	for _, c := range []struct {
		q    addressbook.AddressQuery
		p    addressbook.Page
		want []string
		n    int
	}{
		{addressbook.AddressQuery{}, all, []string{"x2", "x1", "x3", "x4"}, 4},
		{addressbook.AddressQuery{}, addressbook.Page{Number: 2, Size: 3}, []string{"x4"}, 4},
		{addressbook.AddressQuery{Name: "regi"}, all, []string{"x1", "x3"}, 2},
		{addressbook.AddressQuery{Name: "över"}, all, []string{"x4"}, 1},
		{addressbook.AddressQuery{Identifier: "urn:fdc:orebro.se:registrator"}, all, []string{"x3"}, 1},
		{addressbook.AddressQuery{Identifier: "urn:fdc:OREBRO.se:registrator"}, all, []string{}, 0},
		{addressbook.AddressQuery{Parent: "gbg"}, all, []string{"x2", "x1"}, 2},
		{addressbook.AddressQuery{Parents: []string{"orebro", "nope"}}, all, []string{"x3", "x4"}, 2},
		{addressbook.AddressQuery{Parents: []string{}}, all, []string{}, 0},
	} {
		got, n, err := s.SearchAddresses(ctx, c.q, c.p)
		if err != nil {
			t.Fatalf("search %+v: %v", c.q, err)
		}
		ids := []string{}
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if !slices.Equal(ids, c.want) || n != c.n {
			t.Errorf("search %+v %+v: %v %d, want %v %d", c.q, c.p, ids, n, c.want, c.n)
		}
	}
	if err := s.DeleteAddress(ctx, "x1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Address(ctx, "x1"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
}

// CheckBook checks the Book over s: an address needs an existing parent, a
// unit an existing "o", and an organisation with units or addresses cannot be deleted.
func CheckBook(t *testing.T, s Store) {
	ctx := context.Background()
	b := addressbook.Book{Orgs: s, Addresses: s}
	a := addressbook.Address{ID: "f1", Identifier: "urn:fdc:kommun-a.se:reg", Name: "Registrator", Parent: "ka"}
	if err := b.PutAddress(ctx, a); !errors.Is(err, addressbook.ErrInvalid) || !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatalf("address without parent: %v", err)
	}
	o := org("ka", "Kommun A")
	if err := b.PutOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	u := org("ka-u", "Enhet")
	u.Type, u.Parent = addressbook.TypeUnit, "ka"
	for _, step := range []error{b.PutAddress(ctx, a), b.PutOrganization(ctx, u)} {
		if step != nil {
			t.Fatal(step)
		}
	}
	u2 := org("ka-u2", "Enhet 2")
	u2.Type, u2.Parent = addressbook.TypeUnit, "ka-u"
	if err := b.PutOrganization(ctx, u2); !errors.Is(err, addressbook.ErrInvalid) {
		t.Fatalf("unit under a unit: %v", err)
	}
	if err := b.DeleteOrganization(ctx, "ka"); !errors.Is(err, addressbook.ErrConflict) {
		t.Fatalf("delete with units: %v", err)
	}
	if err := b.Orgs.DeleteOrganization(ctx, "ka-u"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteOrganization(ctx, "ka"); !errors.Is(err, addressbook.ErrConflict) {
		t.Fatalf("delete with addresses: %v", err)
	}
	if err := s.DeleteAddress(ctx, "f1"); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteOrganization(ctx, "ka"); err != nil {
		t.Fatalf("delete empty organisation: %v", err)
	}
	if _, err := s.Organization(ctx, "ka"); !errors.Is(err, addressbook.ErrNotFound) {
		t.Fatal(fmt.Errorf("after delete: %w", err))
	}
}
