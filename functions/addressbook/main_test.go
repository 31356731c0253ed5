package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/brevduva/brevduva/core/addressbook"
	"github.com/brevduva/brevduva/core/addressbook/addressbooktest"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/internal/awssys"
)

type lambdaHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

var testEnv = awssys.MapEnv(map[string]string{envAdminToken: "admin-secret"})

// seed puts Göteborgs Stad into book.
func seed(t *testing.T, book addressbook.Book) {
	t.Helper()
	err := book.PutOrganization(context.Background(), addressbook.Organization{ID: "gbg", Type: addressbook.TypeOrganization,
		ParticipantIdentifier: "0203:goteborg.se", OrganizationNumber: "212000-1355", Name: "Göteborgs Stad", CountryCode: "SE"})
	if err != nil {
		t.Fatal(err)
	}
}

func handlerOn(t *testing.T, book addressbook.Book) lambdaHandler {
	t.Helper()
	seed(t, book)
	h, err := newHandler(testEnv, book)
	if err != nil {
		t.Fatal(err)
	}
	return awssys.HTTPEvent(h)
}

// books are the stores the fixtures run on: memory always, DynamoDB when dynalite is
// there (scripts/aws-emulators.sh; skipped otherwise unless BREVDUVA_REQUIRE_EMULATORS=1).
func books() map[string]func(t *testing.T) addressbook.Book {
	return map[string]func(t *testing.T) addressbook.Book{
		"memory": func(*testing.T) addressbook.Book { return addressbooktest.NewMemory().Book() },
		"dynamo": func(t *testing.T) addressbook.Book {
			api := dynamodb.New(dynamodb.Options{BaseEndpoint: aws.String(awstest.Endpoint(t, awstest.EnvDynamoDB)),
				Region: awstest.Region, Credentials: awstest.Credentials, HTTPClient: awstest.HTTPClient})
			name := awstest.Name("addressbook")
			ctx := context.Background()
			if _, err := api.CreateTable(ctx, dynamo.CreateTableInput(name)); err != nil {
				t.Fatalf("create table: %v", err)
			}
			t.Cleanup(func() { api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) })
			w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 50e6; o.MaxDelay = 500e6 })
			if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30e9); err != nil {
				t.Fatal(err)
			}
			return dynamo.NewAddressBook(api, name, 0).Book()
		},
	}
}

func fixture(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSearchOrganizations(t *testing.T) {
	for name, open := range books() {
		t.Run(name, func(t *testing.T) {
			resp, err := handlerOn(t, open(t))(context.Background(), fixture(t, "apigw-v2-search-organizations.json"))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != addressbook.MediaType ||
				resp.Headers["Access-Control-Allow-Origin"] != "*" || !strings.Contains(resp.Body, "Göteborgs Stad") ||
				!strings.Contains(resp.Body, `"total":1`) {
				t.Fatalf("%d %v %.600s", resp.StatusCode, resp.Headers, resp.Body)
			}
		})
	}
}

func TestAdminPutAddress(t *testing.T) {
	for name, open := range books() {
		t.Run(name, func(t *testing.T) {
			book := open(t)
			h := handlerOn(t, book)
			e := fixture(t, "function-url-admin-put-address.json")
			resp, err := h(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "urn:fdc:goteborg.se:registrator") {
				t.Fatalf("%d %.600s", resp.StatusCode, resp.Body)
			}
			if a, err := book.Addresses.Address(context.Background(), "gbg-registrator"); err != nil || a.Parent != "gbg" || a.Name != "Registrator" {
				t.Fatalf("stored: %v %+v", err, a)
			}
			e.Headers["authorization"] = "Bearer wrong"
			if resp, _ := h(context.Background(), e); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong token: %d", resp.StatusCode)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	e := fixture(t, "apigw-v2-search-organizations.json")
	e.RequestContext.HTTP.Method = http.MethodOptions
	e.Headers["access-control-request-method"] = "GET"
	resp, _ := handlerOn(t, addressbooktest.NewMemory().Book())(context.Background(), e)
	if resp.StatusCode != http.StatusNoContent || resp.Headers["Access-Control-Allow-Origin"] != "*" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Headers)
	}
}

func TestNeedsAdminCredentials(t *testing.T) {
	if _, err := newHandler(awssys.MapEnv(nil), addressbooktest.NewMemory().Book()); err == nil {
		t.Fatal("handler without admin credentials")
	}
	env := awssys.MapEnv(map[string]string{envAdminUser: "admin", envAdminPassword: "pw", envBasePath: "/ab"})
	h, err := newHandler(env, addressbooktest.NewMemory().Book())
	if err != nil {
		t.Fatal(err)
	}
	e := fixture(t, "apigw-v2-search-organizations.json")
	e.RawPath = "/ab/api/organizations"
	if resp, _ := awssys.HTTPEvent(h)(context.Background(), e); resp.StatusCode != http.StatusOK {
		t.Fatalf("base path: %d %s", resp.StatusCode, resp.Body)
	}
}
