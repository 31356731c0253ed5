package addressbooktest_test

import (
	"testing"

	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
)

func TestMemoryContract(t *testing.T) {
	addressbooktest.RunContract(t, func(*testing.T) addressbooktest.Store { return addressbooktest.NewMemory() })
}
