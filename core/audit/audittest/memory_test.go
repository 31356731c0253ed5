package audittest

import (
	"testing"

	"github.com/brevduva/brevduva/core/audit"
)

func TestMemory(t *testing.T) {
	Run(t, func(*testing.T) (audit.Store, Tamper) {
		m := NewMemory()
		return m, m
	})
}
