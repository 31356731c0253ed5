// Package addressbook implements the SDK address book: DIGG's information model
// (Informationsspecifikation SDK adressbok, B1.3.6 v1.5, "ABINFO") of organisations
// and their function addresses, and a read API in JSON:API 1.0 shaped like DIGG's
// address book API ("ABAPI", sdk-addressbook-v1.1.openapi.yaml, not obtained), as
// summarised in shared/design/spec-facts.md §e.
//
// What is unverified (spec-facts §k 6) is kept in one place, api.go's constants: the
// paths /addressbook/api/{organizations,addresses}, the filter names and the
// page[number]/page[size] paging, and the attributes of an Address beyond identifier
// and name.
//
// The address book is not the SMP: it tells a sender which function addresses an
// organisation has (XHE HandlingServiceID, SDK attention/subOrganization); the SMP
// tells it where the organisation's AP is.
package addressbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinels.
var (
	ErrNotFound     = errors.New("addressbook: not found")
	ErrInvalid      = errors.New("addressbook: invalid")
	ErrConflict     = errors.New("addressbook: conflict")
	ErrUnauthorized = errors.New("addressbook: unauthorized")
)

// OrgType is ABINFO's organisation type.
type OrgType string

const (
	// TypeOrganization "o": a participant in SDK (ABINFO).
	TypeOrganization OrgType = "o"
	// TypeUnit "ou": a sub-organisation linked to an "o" (ABINFO).
	TypeUnit OrgType = "ou"
)

// ParticipantPrefix starts every SDK participant identifier value: ICD 0203
// (spec-facts §a.2).
const ParticipantPrefix = "0203:"

// Field limits (ABINFO; spec-facts §e and §b).
const (
	MaxName        = 256
	MaxDescription = 1024
	MaxIdentifier  = 256 // function address, opaque (spec-facts §b)
	maxShort       = 256 // ids, organisation numbers, participant identifiers
)

// Organization is an address-book organisation (ABINFO "Organizations").
type Organization struct {
	ID                    string // resource id (JSON:API), opaque
	Type                  OrgType
	ParticipantIdentifier string // "0203:…"
	OrganizationNumber    string
	Name                  string // 1..256
	AlternateName         string // optional
	Description           string // optional, ≤ 1024
	CountryCode           string // ISO 3166-1 alpha-2
	Parent                string // id of the "o" an "ou" belongs to; empty for "o"
}

// Address is a function address (ABINFO "Funktionsadress"), the smallest addressable
// unit: an opaque identifier ≤ 256, a name, and the organisation it belongs to.
// Further attributes are unverified (spec-facts §k 6).
type Address struct {
	ID         string
	Identifier string
	Name       string
	Parent     string // organisation id
}

// checkText enforces the common text rules: valid UTF-8, no control characters, and
// no "<" or ">" (ABAPI rejects them in text fields).
func checkText(field, s string, min, max int) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalid, field)
	case n < min || n > max:
		return fmt.Errorf("%w: %s has %d characters, want %d to %d", ErrInvalid, field, n, min, max)
	case strings.ContainsAny(s, "<>"):
		return fmt.Errorf("%w: %s contains < or >", ErrInvalid, field)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalid, field)
		}
	}
	return nil
}

// Validate checks o against ABINFO and returns every violation.
func (o Organization) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(checkText("id", o.ID, 1, maxShort))
	add(checkText("name", o.Name, 1, MaxName))
	add(checkText("alternateName", o.AlternateName, 0, MaxName))
	add(checkText("description", o.Description, 0, MaxDescription))
	add(checkText("organizationNumber", o.OrganizationNumber, 1, maxShort))
	add(checkText("participantIdentifier", o.ParticipantIdentifier, 1, maxShort))
	if !strings.HasPrefix(strings.ToLower(o.ParticipantIdentifier), ParticipantPrefix) || len(o.ParticipantIdentifier) == len(ParticipantPrefix) {
		errs = append(errs, fmt.Errorf("%w: participantIdentifier %q does not start with %s", ErrInvalid, o.ParticipantIdentifier, ParticipantPrefix))
	}
	if len(o.CountryCode) != 2 || o.CountryCode[0] < 'A' || o.CountryCode[0] > 'Z' || o.CountryCode[1] < 'A' || o.CountryCode[1] > 'Z' {
		errs = append(errs, fmt.Errorf("%w: countryCode %q is not ISO 3166-1 alpha-2", ErrInvalid, o.CountryCode))
	}
	switch o.Type {
	case TypeOrganization:
		if o.Parent != "" {
			errs = append(errs, fmt.Errorf("%w: an organisation of type o has no parent", ErrInvalid))
		}
	case TypeUnit:
		if o.Parent == "" || o.Parent == o.ID {
			errs = append(errs, fmt.Errorf("%w: an organisation of type ou needs a parent", ErrInvalid))
		}
	default:
		errs = append(errs, fmt.Errorf("%w: type %q is not o or ou", ErrInvalid, o.Type))
	}
	return errors.Join(errs...)
}

// Validate checks a against ABINFO and returns every violation.
func (a Address) Validate() error {
	return errors.Join(
		checkText("id", a.ID, 1, maxShort),
		checkText("identifier", a.Identifier, 1, MaxIdentifier),
		checkText("name", a.Name, 1, MaxName),
		checkText("parent", a.Parent, 1, maxShort),
	)
}

// OrgQuery selects organisations. Empty fields do not filter. Name matches Name or
// AlternateName by Match; the others compare exactly (ParticipantIdentifier
// case-insensitively, spec-facts §k 21).
type OrgQuery struct {
	Name, ParticipantIdentifier, OrganizationNumber, Parent string
	Type                                                    OrgType
}

// Matches reports whether o satisfies q.
func (q OrgQuery) Matches(o Organization) bool {
	return (q.Name == "" || Match(o.Name, q.Name) || Match(o.AlternateName, q.Name)) &&
		(q.ParticipantIdentifier == "" || strings.EqualFold(o.ParticipantIdentifier, q.ParticipantIdentifier)) &&
		(q.OrganizationNumber == "" || o.OrganizationNumber == q.OrganizationNumber) &&
		(q.Parent == "" || o.Parent == q.Parent) &&
		(q.Type == "" || o.Type == q.Type)
}

// AddressQuery selects function addresses. Name matches by Match; Identifier and
// Parent compare exactly; ParticipantIdentifier selects the addresses of the
// organisation(s) with that participant identifier (resolved by the Book).
type AddressQuery struct {
	Name, Identifier, Parent string
	Parents                  []string // internal: resolved organisation ids
}

// Matches reports whether a satisfies q.
func (q AddressQuery) Matches(a Address) bool {
	if q.Parents != nil {
		ok := false
		for _, p := range q.Parents {
			ok = ok || a.Parent == p
		}
		if !ok {
			return false
		}
	}
	return (q.Name == "" || Match(a.Name, q.Name)) &&
		(q.Identifier == "" || a.Identifier == q.Identifier) &&
		(q.Parent == "" || a.Parent == q.Parent)
}

// Page selects a page of results; Number counts from 1.
type Page struct{ Number, Size int }

// Offset returns the index of the page's first item.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// OrgStore keeps organisations. Get and Delete wrap ErrNotFound for unknown ids.
// Search returns the page of matches in a stable order (by Name's Fold key, then ID)
// and the total number of matches.
type OrgStore interface {
	PutOrganization(ctx context.Context, o Organization) error
	Organization(ctx context.Context, id string) (Organization, error)
	DeleteOrganization(ctx context.Context, id string) error
	SearchOrganizations(ctx context.Context, q OrgQuery, p Page) ([]Organization, int, error)
}

// AddressStore keeps function addresses, with the same contract as OrgStore.
type AddressStore interface {
	PutAddress(ctx context.Context, a Address) error
	Address(ctx context.Context, id string) (Address, error)
	DeleteAddress(ctx context.Context, id string) error
	SearchAddresses(ctx context.Context, q AddressQuery, p Page) ([]Address, int, error)
}

// Book is the address book service over its stores; it keeps the references between
// organisations and addresses consistent.
type Book struct {
	Orgs      OrgStore
	Addresses AddressStore
}

// PutOrganization validates and stores o; an "ou"'s parent must be an existing "o".
func (b Book) PutOrganization(ctx context.Context, o Organization) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Type == TypeUnit {
		p, err := b.Orgs.Organization(ctx, o.Parent)
		if err != nil {
			return fmt.Errorf("%w: parent %q: %w", ErrInvalid, o.Parent, err)
		}
		if p.Type != TypeOrganization {
			return fmt.Errorf("%w: parent %q is not of type o", ErrInvalid, o.Parent)
		}
	}
	return b.Orgs.PutOrganization(ctx, o)
}

// DeleteOrganization removes an organisation that has no units and no addresses.
func (b Book) DeleteOrganization(ctx context.Context, id string) error {
	if _, n, err := b.Orgs.SearchOrganizations(ctx, OrgQuery{Parent: id}, Page{1, 1}); err != nil || n > 0 {
		return errors.Join(err, fmt.Errorf("%w: organisation %q has %d units", ErrConflict, id, n))
	}
	if _, n, err := b.Addresses.SearchAddresses(ctx, AddressQuery{Parent: id}, Page{1, 1}); err != nil || n > 0 {
		return errors.Join(err, fmt.Errorf("%w: organisation %q has %d addresses", ErrConflict, id, n))
	}
	return b.Orgs.DeleteOrganization(ctx, id)
}

// PutAddress validates and stores a; its parent organisation must exist.
func (b Book) PutAddress(ctx context.Context, a Address) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if _, err := b.Orgs.Organization(ctx, a.Parent); err != nil {
		return fmt.Errorf("%w: parent %q: %w", ErrInvalid, a.Parent, err)
	}
	return b.Addresses.PutAddress(ctx, a)
}
