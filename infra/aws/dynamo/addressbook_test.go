package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brevduva/brevduva/core/addressbook"
	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

// TestAddressBookContract runs core/addressbook's contract suite against dynalite.
func TestAddressBookContract(t *testing.T) {
	client(t) // skip early when dynalite is not there
	addressbooktest.RunContract(t, func(t *testing.T) addressbooktest.Store {
		api := client(t)
		return dynamo.NewAddressBook(api, newTable(t, api), 0)
	})
}

// TestAddressBookPagingAndCap: a book bigger than one Query page (1 MB) is read whole
// through LastEvaluatedKey, and a book over the cap fails with ErrBookTooLarge.
func TestAddressBookPagingAndCap(t *testing.T) {
	api := &countingAPI{Client: client(t)}
	table := newTable(t, api.Client)
	ctx := context.Background()
	s := dynamo.NewAddressBook(api, table, 0)
	// Oversized records (the store does not validate; the Book does) so that 400 items
	// exceed Query's 1 MB page.
	long := strings.Repeat("x", 3000)
	const n = 400
	for i := range n {
		a := addressbook.Address{ID: fmt.Sprintf("a%04d", i), Identifier: fmt.Sprintf("urn:x:%04d:%s", i, long),
			Name: fmt.Sprintf("Funktion %04d", i), Parent: "o"}
		if err := s.PutAddress(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	api.queries = 0
	got, total, err := s.SearchAddresses(ctx, addressbook.AddressQuery{}, addressbook.Page{Number: 4, Size: 100})
	if err != nil || total != n || len(got) != 100 || got[0].ID != "a0300" || got[99].ID != "a0399" {
		t.Fatalf("paged read: %v total %d len %d", err, total, len(got))
	}
	if api.queries < 2 {
		t.Fatalf("%d Query calls; the test wants the book read in several pages", api.queries)
	}
	small := dynamo.NewAddressBook(api, table, n-1)
	if _, _, err := small.SearchAddresses(ctx, addressbook.AddressQuery{}, addressbook.Page{Number: 1, Size: 1}); !errors.Is(err, dynamo.ErrBookTooLarge) {
		t.Fatalf("over the cap: %v", err)
	}
	if _, _, err := small.SearchOrganizations(ctx, addressbook.OrgQuery{}, addressbook.Page{Number: 1, Size: 1}); err != nil {
		t.Fatalf("the other book is empty: %v", err)
	}
}

// countingAPI counts Query calls.
type countingAPI struct {
	*dynamodb.Client
	queries int
}

func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries++
	return c.Client.Query(ctx, in, opts...)
}
