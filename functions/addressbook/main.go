// Command addressbook is the SDK address book (core/addressbook: the JSON:API read
// handler, no authorisation, CORS "*", and the authenticated admin API) as a Lambda
// behind API Gateway HTTP API v2 or a Function URL, on the DynamoDB stores
// (dynamo.AddressBook in BREVDUVA_TABLE). Without AWS_LAMBDA_RUNTIME_API the same
// handler serves plain HTTP (BREVDUVA_LISTEN). Variables: docs/design/functions.md.
package main

import (
	"log"
	"net/http"

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

// newHandler is core/addressbook's handler on book, configured from env.
func newHandler(env awssys.Env, book addressbook.Book) (http.Handler, error) {
	return addressbook.NewHandler(addressbook.HandlerOptions{Book: book, BasePath: env(envBasePath),
		AdminToken: env(envAdminToken), AdminUser: env(envAdminUser), AdminPassword: env(envAdminPassword)})
}
