// Command addressbook is the SDK address book (core/addressbook: the JSON:API read
// handler, no authorisation, CORS "*", and the authenticated admin API) as a Lambda
// behind API Gateway HTTP API v2 or a Function URL, on the DynamoDB stores
// (dynamo.AddressBook in BREVDUVA_TABLE). Without AWS_LAMBDA_RUNTIME_API the same
// handler serves plain HTTP (BREVDUVA_LISTEN). Variables: docs/design/functions.md.
package main

import (
	"log"
	"net/http"
	"strings"

	"github.com/brevduva/brevduva/core/addressbook"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/internal/awssys"
)

// Environment variables of this function (besides awssys's).
const (
	envBasePath      = "BREVDUVA_ADDRESSBOOK_BASE_PATH" // default addressbook.DefaultBasePath
	envAdminToken    = "BREVDUVA_ADDRESSBOOK_ADMIN_TOKEN"
	envAdminUser     = "BREVDUVA_ADDRESSBOOK_ADMIN_USER"
	envAdminPassword = "BREVDUVA_ADDRESSBOOK_ADMIN_PASSWORD"
)

func main() {
	env := awssys.OSEnv()
	clients, err := awssys.NewClients(env)
	if err != nil {
		log.Fatal(err)
	}
	if env(awssys.EnvTable) == "" {
		log.Fatalf("%v: %s", awssys.ErrMissing, awssys.EnvTable)
	}
	h, err := newHandler(env, dynamo.NewAddressBook(clients.DynamoDB, env(awssys.EnvTable), 0).Book())
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(awssys.ServeHTTP(env, h))
}

// newHandler is core/addressbook's handler on book, configured from env. Blank admin
// credentials count as missing (the handler then refuses to start): a token of spaces
// would otherwise open the admin API to "Bearer " followed by spaces.
func newHandler(env awssys.Env, book addressbook.Book) (http.Handler, error) {
	get := func(name string) string { return strings.TrimSpace(env(name)) }
	return addressbook.NewHandler(addressbook.HandlerOptions{Book: book, BasePath: get(envBasePath),
		AdminToken: get(envAdminToken), AdminUser: get(envAdminUser), AdminPassword: get(envAdminPassword)})
}
