package oauth

import "strings"

// DIGG's SDK API MT/MK scopes (spec-facts §i), one per operation.
const (
	ScopeSendMessage        = "urn:sdk.api:sendMessage"
	ScopeSendMessages       = "urn:sdk.api:sendMessages" // securitySchemes' spelling
	ScopeGetMessageByFilter = "urn:sdk.api:getMessageByFilter"
	ScopeGetMessage         = "urn:sdk.api:getMessage"
	ScopeDeleteMessage      = "urn:sdk.api:deleteMessage"
)

// ScopeMailbox is Brevduva's own scope for the mailbox extension of the SDK API (read
// and mark read the messages delivered to the tenant's function addresses).
const ScopeMailbox = "urn:brevduva:api:mailbox"

// ScopeSign is Brevduva's scope for the remote signer of the SDK API: the server signs the
// SignedInfo digest of an XHE the client sealed with the tenant's O2O key (core/sdkapi).
const ScopeSign = "urn:brevduva:api:sign"

// ScopeSend lists the scopes that each allow sendMessage.
var ScopeSend = []string{ScopeSendMessage, ScopeSendMessages}

// AllScopes are the scopes a local client gets when its configuration names none.
var AllScopes = []string{ScopeSendMessage, ScopeGetMessageByFilter, ScopeGetMessage, ScopeDeleteMessage, ScopeMailbox, ScopeSign}

// Principal is who a valid access token speaks for.
type Principal struct {
	ClientID string
	Tenant   string
	Scopes   []string
	// LimitFunctionAddresses restricts the mailboxes p may read to FunctionAddresses
	// (an empty list: none). When false every function address of the tenant is open.
	LimitFunctionAddresses bool
	FunctionAddresses      []string
}

// MayUseFunctionAddress reports whether p may read the mailbox of the tenant's function
// address fa (exact match, as the engine stores it).
func (p Principal) MayUseFunctionAddress(fa string) bool {
	if !p.LimitFunctionAddresses {
		return true
	}
	for _, a := range p.FunctionAddresses {
		if a == fa {
			return true
		}
	}
	return false
}

// HasAny reports whether p holds at least one of scopes.
func (p Principal) HasAny(scopes ...string) bool {
	for _, want := range scopes {
		for _, s := range p.Scopes {
			if s == want {
				return true
			}
		}
	}
	return false
}

func splitScope(s string) []string { return strings.Fields(s) }
