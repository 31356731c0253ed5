package mshtest_test

import (
	"testing"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
)

// The in-memory reference implementations pass every contract suite (they have no Reopen:
// their durability is the process's).
func TestMemory(t *testing.T) {
	mshtest.All{
		InboundStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.InboundStore] {
			return mshtest.Instance[msh.InboundStore]{Port: mshtest.NewMessages()}
		},
		OutboxStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.OutboxStore] {
			return mshtest.Instance[msh.OutboxStore]{Port: mshtest.NewMessages()}
		},
		PayloadStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.PayloadStore] {
			return mshtest.Instance[msh.PayloadStore]{Port: mshtest.NewPayloads()}
		},
		DuplicateGuard: func(t *testing.T, env mshtest.Env) mshtest.Instance[msh.DuplicateGuard] {
			return mshtest.Instance[msh.DuplicateGuard]{Port: mshtest.NewGuard(env.Clock)}
		},
		OutboundQueue: func(t *testing.T, env mshtest.Env) mshtest.Instance[msh.OutboundQueue] {
			return mshtest.Instance[msh.OutboundQueue]{Port: mshtest.NewQueue(env.Clock, env.MaxAttempts)}
		},
		Mailbox: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.Mailbox] {
			return mshtest.Instance[msh.Mailbox]{Port: mshtest.NewMailbox()}
		},
	}.Run(t)
}
