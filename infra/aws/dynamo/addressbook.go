package dynamo

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/brevduva/brevduva/core/addressbook"
)

// AddressBook is the DynamoDB addressbook.OrgStore and addressbook.AddressStore. Each
// book is ONE partition: organisations under pk "AB#ORG", sk "O#{id}"; function
// addresses under pk "AB#ADDR", sk "A#{id}"; the record as JSON in "doc". Put is PutItem
// (replace); Delete is DeleteItem with attribute_exists(pk) (none: ErrNotFound); Get is a
// consistent GetItem. Search Queries the book's partition (consistent, paged through
// LastEvaluatedKey), and applies core/addressbook's Matches, Less (Fold order, then id)
// and paging in memory. An address book holds a region's organisations and their
// function addresses, thousands of items at most; a book larger than the store's cap
// (DefaultMaxBookItems unless set) makes Search fail with ErrBookTooLarge rather than
// answer from a part of it. docs/design/aws.md, "Address book".
type AddressBook struct {
	api      API
	table    string
	maxItems int
}

var (
	_ addressbook.OrgStore     = (*AddressBook)(nil)
	_ addressbook.AddressStore = (*AddressBook)(nil)
)

// DefaultMaxBookItems caps the items a Search reads from one book (organisations, or
// function addresses).
const DefaultMaxBookItems = 20000

// ErrBookTooLarge is wrapped by Search when a book holds more items than the store's cap.
var ErrBookTooLarge = errors.New("dynamo: address book larger than the cap")

// Partition keys of the two books and the sort key prefixes of their items. "AB#"
// collides with neither a tenant's keys ("T#…") nor the SMP's ("SMP#…").
const (
	pkBookOrgs  = "AB#ORG"
	pkBookAddrs = "AB#ADDR"
	skOrgPrefix = "O#"
	skAddrPfx   = "A#"
)

// NewAddressBook returns the address book store on table; maxItems ≤ 0 means
// DefaultMaxBookItems.
func NewAddressBook(api API, table string, maxItems int) *AddressBook {
	if maxItems <= 0 {
		maxItems = DefaultMaxBookItems
	}
	return &AddressBook{api: api, table: table, maxItems: maxItems}
}

// Book returns an addressbook.Book over s.
func (s *AddressBook) Book() addressbook.Book { return addressbook.Book{Orgs: s, Addresses: s} }

// The stored forms (JSON in "doc"): short names, so a field rename in core does not
// change the stored data.
type abOrg struct {
	ID                    string `json:"id"`
	Type                  string `json:"t"`
	ParticipantIdentifier string `json:"pid"`
	OrganizationNumber    string `json:"orgno"`
	Name                  string `json:"n"`
	AlternateName         string `json:"alt,omitempty"`
	Description           string `json:"d,omitempty"`
	CountryCode           string `json:"cc"`
	Parent                string `json:"p,omitempty"`
}

type abAddr struct {
	ID         string `json:"id"`
	Identifier string `json:"ident"`
	Name       string `json:"n"`
	Parent     string `json:"p"`
}

func orgToRec(o addressbook.Organization) abOrg {
	return abOrg{ID: o.ID, Type: string(o.Type), ParticipantIdentifier: o.ParticipantIdentifier,
		OrganizationNumber: o.OrganizationNumber, Name: o.Name, AlternateName: o.AlternateName,
		Description: o.Description, CountryCode: o.CountryCode, Parent: o.Parent}
}

func (r abOrg) org() addressbook.Organization {
	return addressbook.Organization{ID: r.ID, Type: addressbook.OrgType(r.Type), ParticipantIdentifier: r.ParticipantIdentifier,
		OrganizationNumber: r.OrganizationNumber, Name: r.Name, AlternateName: r.AlternateName,
		Description: r.Description, CountryCode: r.CountryCode, Parent: r.Parent}
}

// PutOrganization implements addressbook.OrgStore.
func (s *AddressBook) PutOrganization(ctx context.Context, o addressbook.Organization) error {
	if err := s.put(ctx, pkBookOrgs, skOrgPrefix+o.ID, orgToRec(o)); err != nil {
		return fmt.Errorf("dynamo: addressbook put organisation %q: %w", o.ID, err)
	}
	return nil
}

// Organization implements addressbook.OrgStore.
func (s *AddressBook) Organization(ctx context.Context, id string) (addressbook.Organization, error) {
	var r abOrg
	if err := s.get(ctx, pkBookOrgs, skOrgPrefix+id, &r); err != nil {
		return addressbook.Organization{}, fmt.Errorf("dynamo: addressbook organisation %q: %w", id, err)
	}
	return r.org(), nil
}

// DeleteOrganization implements addressbook.OrgStore.
func (s *AddressBook) DeleteOrganization(ctx context.Context, id string) error {
	if err := s.delete(ctx, pkBookOrgs, skOrgPrefix+id); err != nil {
		return fmt.Errorf("dynamo: addressbook delete organisation %q: %w", id, err)
	}
	return nil
}

// SearchOrganizations implements addressbook.OrgStore.
func (s *AddressBook) SearchOrganizations(ctx context.Context, q addressbook.OrgQuery, p addressbook.Page) ([]addressbook.Organization, int, error) {
	var all []addressbook.Organization
	err := s.scanBook(ctx, pkBookOrgs, func(item map[string]types.AttributeValue) error {
		var r abOrg
		if err := decodeDoc(item, &r); err != nil {
			return err
		}
		if o := r.org(); q.Matches(o) {
			all = append(all, o)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("dynamo: addressbook search organisations: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return bookLess(all[i].Name, all[i].ID, all[j].Name, all[j].ID) })
	return bookPage(all, p), len(all), nil
}

// PutAddress implements addressbook.AddressStore.
func (s *AddressBook) PutAddress(ctx context.Context, a addressbook.Address) error {
	if err := s.put(ctx, pkBookAddrs, skAddrPfx+a.ID, abAddr(a)); err != nil {
		return fmt.Errorf("dynamo: addressbook put address %q: %w", a.ID, err)
	}
	return nil
}

// Address implements addressbook.AddressStore.
func (s *AddressBook) Address(ctx context.Context, id string) (addressbook.Address, error) {
	var r abAddr
	if err := s.get(ctx, pkBookAddrs, skAddrPfx+id, &r); err != nil {
		return addressbook.Address{}, fmt.Errorf("dynamo: addressbook address %q: %w", id, err)
	}
	return addressbook.Address(r), nil
}

// DeleteAddress implements addressbook.AddressStore.
func (s *AddressBook) DeleteAddress(ctx context.Context, id string) error {
	if err := s.delete(ctx, pkBookAddrs, skAddrPfx+id); err != nil {
		return fmt.Errorf("dynamo: addressbook delete address %q: %w", id, err)
	}
	return nil
}

// SearchAddresses implements addressbook.AddressStore.
func (s *AddressBook) SearchAddresses(ctx context.Context, q addressbook.AddressQuery, p addressbook.Page) ([]addressbook.Address, int, error) {
	var all []addressbook.Address
	err := s.scanBook(ctx, pkBookAddrs, func(item map[string]types.AttributeValue) error {
		var r abAddr
		if err := decodeDoc(item, &r); err != nil {
			return err
		}
		if a := addressbook.Address(r); q.Matches(a) {
			all = append(all, a)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("dynamo: addressbook search addresses: %w", err)
	}
	sort.Slice(all, func(i, j int) bool { return bookLess(all[i].Name, all[i].ID, all[j].Name, all[j].ID) })
	return bookPage(all, p), len(all), nil
}

func (s *AddressBook) put(ctx context.Context, pk, sk string, rec any) error {
	doc, err := encodeDoc(rec)
	if err != nil {
		return err
	}
	item := key(pk, sk)
	item[attrDoc] = doc
	_, err = s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item})
	return err
}

func (s *AddressBook) get(ctx context.Context, pk, sk string, rec any) error {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: key(pk, sk),
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return err
	}
	if len(out.Item) == 0 {
		return addressbook.ErrNotFound
	}
	return decodeDoc(out.Item, rec)
}

func (s *AddressBook) delete(ctx context.Context, pk, sk string) error {
	_, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: key(pk, sk),
		ConditionExpression: aws.String("attribute_exists(pk)")})
	if conditionFailed(err) {
		return addressbook.ErrNotFound
	}
	return err
}

// scanBook Queries every item of the partition pk (consistent reads, paged through
// LastEvaluatedKey) and calls f on each; more than s.maxItems items is ErrBookTooLarge.
func (s *AddressBook) scanBook(ctx context.Context, pk string, f func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{TableName: aws.String(s.table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}}
	n := 0
	for {
		out, err := s.api.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, item := range out.Items {
			if n++; n > s.maxItems {
				return fmt.Errorf("%w: more than %d items in %s", ErrBookTooLarge, s.maxItems, pk)
			}
			if err := f(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// bookLess is the port's order: Name by addressbook.Less, then ID.
func bookLess(n1, id1, n2, id2 string) bool {
	if addressbook.Less(n1, n2) {
		return true
	}
	if addressbook.Less(n2, n1) {
		return false
	}
	return id1 < id2
}

func bookPage[T any](all []T, p addressbook.Page) []T {
	off := p.Offset()
	if off < 0 || off >= len(all) || p.Size <= 0 {
		return []T{}
	}
	return all[off:min(off+p.Size, len(all))]
}
