package addressbook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/brevduva/brevduva/core/httpcache"
)

// The API's shape — unverified against DIGG's OpenAPI file: spec-facts §k 6.
const (
	// PathOrganizations and PathAddresses are the read collections (§k 6), below BasePath.
	PathOrganizations = "/api/organizations"
	PathAddresses     = "/api/addresses"
	// PathAdmin prefixes the authenticated write API (Brevduva's own).
	PathAdmin = "/admin"
	// DefaultBasePath is where DIGG serves the API (§k 6).
	DefaultBasePath = "/addressbook"
	// TypeOrganizations and TypeAddresses are the JSON:API resource types (§e ⚠3P).
	TypeOrganizations = "organizations"
	TypeAddresses     = "addresses"
	// MediaType is JSON:API 1.0 §5.1.
	MediaType = "application/vnd.api+json"
	// Paging parameters (§k 6) and their bounds.
	ParamPageNumber = "page[number]"
	ParamPageSize   = "page[size]"
	DefaultPageSize = 20
	MaxPageSize     = 100
	maxFilterLen    = 256
)

// orgFilters and addressFilters name the supported filter[...] parameters (§k 6).
func orgFilters() []string {
	return []string{"name", "participantIdentifier", "organizationNumber", "type", "parent"}
}

func addressFilters() []string {
	return []string{"name", "identifier", "parent", "participantIdentifier"}
}

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	Book     Book
	BasePath string // default DefaultBasePath
	// Admin credentials for the write API: a bearer token, or basic-auth user and password.
	AdminToken, AdminUser, AdminPassword string
	// Cache sets Cache-Control of the read API's answers (zero: httpcache's defaults,
	// 5 min and 1 min for 404; Disabled: no-store). Admin answers are always no-store.
	Cache httpcache.Policy
}

type handler struct {
	opt HandlerOptions
}

// NewHandler returns the address book's HTTP API:
//
//	GET  {base}/api/organizations[/{id}]   JSON:API, no authorisation, CORS "*"
//	GET  {base}/api/addresses[/{id}]
//	PUT|DELETE {base}/admin/organizations/{id}   authenticated (bearer or basic)
//	PUT|DELETE {base}/admin/addresses/{id}
//
// Reads take filter[...] (see orgFilters, addressFilters), page[number] (from 1) and
// page[size] (1..100, default 20); any other parameter, an unknown filter, a repeated
// parameter or "<"/">" in a value is answered 400 with a JSON:API error object
// (JSON:API 1.0 §7, §9). Text filters match by Match (prefix of the name or of a word
// in it, case-insensitive, å/ä/ö handled by Fold). Reads carry Cache-Control by
// HandlerOptions.Cache (RFC 9111 §5.2.2; errors other than 404 no-store), admin
// answers no-store.
func NewHandler(o HandlerOptions) (http.Handler, error) {
	if o.Book.Orgs == nil || o.Book.Addresses == nil {
		return nil, fmt.Errorf("addressbook: handler needs both stores")
	}
	if o.AdminToken == "" && (o.AdminUser == "" || o.AdminPassword == "") {
		return nil, fmt.Errorf("addressbook: handler needs admin credentials")
	}
	if o.BasePath == "" {
		o.BasePath = DefaultBasePath
	}
	o.BasePath = strings.TrimSuffix(o.BasePath, "/")
	return &handler{opt: o}, nil
}

// apiError is a JSON:API error object (JSON:API 1.0 §9).
type apiError struct {
	Status string            `json:"status"`
	Code   string            `json:"code"`
	Title  string            `json:"title"`
	Detail string            `json:"detail,omitempty"`
	Source map[string]string `json:"source,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, title, detail, param string) {
	e := apiError{Status: strconv.Itoa(status), Code: code, Title: title, Detail: detail}
	if param != "" {
		e.Source = map[string]string{"parameter": param}
	}
	writeJSON(w, status, map[string]any{"errors": []apiError{e}})
}

// fail maps domain errors; server-side detail stays hidden.
func writeErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrInvalid): // before ErrNotFound: an unknown parent is invalid input
		writeError(w, http.StatusBadRequest, "invalid", "Invalid request", err.Error(), "")
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not-found", "Not found", "", "")
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "Conflict", err.Error(), "")
	case errors.Is(err, ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer realm="addressbook-admin", Basic realm="addressbook-admin"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized", "", "")
	default:
		writeError(w, http.StatusInternalServerError, "internal", "Internal error", "", "")
	}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w = h.opt.Cache.Writer(w)
	p, ok := strings.CutPrefix(r.URL.Path, h.opt.BasePath)
	if !ok {
		writeErr(w, ErrNotFound)
		return
	}
	if rest, ok := strings.CutPrefix(p, PathAdmin+"/"); ok {
		w.Header().Set("Cache-Control", httpcache.NoStore)
		h.admin(w, r, rest)
		return
	}
	var coll string
	switch {
	case p == PathOrganizations || strings.HasPrefix(p, PathOrganizations+"/"):
		coll = TypeOrganizations
	case p == PathAddresses || strings.HasPrefix(p, PathAddresses+"/"):
		coll = TypeAddresses
	default:
		writeErr(w, ErrNotFound)
		return
	}
	// CORS for the browser client (reads only, no credentials).
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Vary", "Origin")
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Accept, Content-Type")
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead:
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "", "")
		return
	}
	prefix := PathOrganizations
	if coll == TypeAddresses {
		prefix = PathAddresses
	}
	if id, ok := strings.CutPrefix(p, prefix+"/"); ok {
		h.one(w, r, coll, id)
		return
	}
	h.list(w, r, coll)
}

type resource struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id"`
	Attributes    json.RawMessage         `json:"attributes"`
	Relationships map[string]relationship `json:"relationships,omitempty"`
}

type relationship struct {
	Data *resourceID `json:"data"`
}

type resourceID struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type orgAttributes struct {
	Type                  OrgType `json:"type"`
	ParticipantIdentifier string  `json:"participantIdentifier"`
	OrganizationNumber    string  `json:"organizationNumber"`
	Name                  string  `json:"name"`
	AlternateName         string  `json:"alternateName,omitempty"`
	Description           string  `json:"description,omitempty"`
	CountryCode           string  `json:"countryCode"`
}

type addressAttributes struct {
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
}

func orgResource(o Organization) resource {
	a, _ := json.Marshal(orgAttributes{o.Type, o.ParticipantIdentifier, o.OrganizationNumber, o.Name, o.AlternateName, o.Description, o.CountryCode})
	r := resource{Type: TypeOrganizations, ID: o.ID, Attributes: a}
	if o.Parent != "" {
		r.Relationships = map[string]relationship{"parent": {&resourceID{TypeOrganizations, o.Parent}}}
	}
	return r
}

func addressResource(ad Address) resource {
	a, _ := json.Marshal(addressAttributes{ad.Identifier, ad.Name})
	return resource{Type: TypeAddresses, ID: ad.ID, Attributes: a,
		Relationships: map[string]relationship{"parent": {&resourceID{TypeOrganizations, ad.Parent}}}}
}

func (h *handler) one(w http.ResponseWriter, r *http.Request, coll, id string) {
	if len(r.URL.Query()) > 0 {
		for k := range r.URL.Query() {
			writeError(w, http.StatusBadRequest, "unknown-parameter", "Unknown parameter", "a single resource takes no parameters", k)
			return
		}
	}
	var res resource
	if coll == TypeOrganizations {
		o, err := h.opt.Book.Orgs.Organization(r.Context(), id)
		if err != nil {
			writeErr(w, err)
			return
		}
		res = orgResource(o)
	} else {
		a, err := h.opt.Book.Addresses.Address(r.Context(), id)
		if err != nil {
			writeErr(w, err)
			return
		}
		res = addressResource(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": res, "links": map[string]string{"self": r.URL.Path}})
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, coll string) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-query", "Malformed query string", err.Error(), "")
		return
	}
	allowed := orgFilters()
	if coll == TypeAddresses {
		allowed = addressFilters()
	}
	filters := map[string]string{}
	page := Page{Number: 1, Size: DefaultPageSize}
	for k, vs := range q {
		if len(vs) != 1 {
			writeError(w, http.StatusBadRequest, "repeated-parameter", "Repeated parameter", k+" is given more than once", k)
			return
		}
		v := vs[0]
		if strings.ContainsAny(v, "<>") || len(v) > maxFilterLen {
			writeError(w, http.StatusBadRequest, "invalid-value", "Invalid parameter value", "values may not contain < or > and are at most 256 octets", k)
			return
		}
		switch {
		case k == ParamPageNumber || k == ParamPageSize:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || (k == ParamPageSize && n > MaxPageSize) || n > 1_000_000 {
				writeError(w, http.StatusBadRequest, "invalid-page", "Invalid page parameter", fmt.Sprintf("%s must be an integer from 1 (page[size] at most %d)", k, MaxPageSize), k)
				return
			}
			if k == ParamPageNumber {
				page.Number = n
			} else {
				page.Size = n
			}
		case strings.HasPrefix(k, "filter[") && strings.HasSuffix(k, "]"):
			name := k[len("filter[") : len(k)-1]
			ok := false
			for _, a := range allowed {
				ok = ok || a == name
			}
			if !ok {
				writeError(w, http.StatusBadRequest, "unknown-filter", "Unknown filter", fmt.Sprintf("%s is not supported for %s; supported: %s", k, coll, strings.Join(allowed, ", ")), k)
				return
			}
			filters[name] = v
		default:
			writeError(w, http.StatusBadRequest, "unknown-parameter", "Unknown parameter", k+" is not supported", k)
			return
		}
	}
	ctx := r.Context()
	var data []resource
	var total int
	if coll == TypeOrganizations {
		oq := OrgQuery{Name: filters["name"], ParticipantIdentifier: filters["participantIdentifier"],
			OrganizationNumber: filters["organizationNumber"], Parent: filters["parent"], Type: OrgType(filters["type"])}
		orgs, n, err := h.opt.Book.Orgs.SearchOrganizations(ctx, oq, page)
		if err != nil {
			writeErr(w, err)
			return
		}
		total = n
		for _, o := range orgs {
			data = append(data, orgResource(o))
		}
	} else {
		aq := AddressQuery{Name: filters["name"], Identifier: filters["identifier"], Parent: filters["parent"]}
		if pi := filters["participantIdentifier"]; pi != "" {
			orgs, _, err := h.opt.Book.Orgs.SearchOrganizations(ctx, OrgQuery{ParticipantIdentifier: pi}, Page{1, MaxPageSize})
			if err != nil {
				writeErr(w, err)
				return
			}
			aq.Parents = []string{}
			for _, o := range orgs {
				aq.Parents = append(aq.Parents, o.ID)
				units, _, err := h.opt.Book.Orgs.SearchOrganizations(ctx, OrgQuery{Parent: o.ID}, Page{1, MaxPageSize})
				if err != nil {
					writeErr(w, err)
					return
				}
				for _, u := range units {
					aq.Parents = append(aq.Parents, u.ID)
				}
			}
		}
		addrs, n, err := h.opt.Book.Addresses.SearchAddresses(ctx, aq, page)
		if err != nil {
			writeErr(w, err)
			return
		}
		total = n
		for _, a := range addrs {
			data = append(data, addressResource(a))
		}
	}
	if data == nil {
		data = []resource{}
	}
	last := (total + page.Size - 1) / page.Size
	if last < 1 {
		last = 1
	}
	link := func(n int) string {
		v := url.Values{}
		for k, f := range filters {
			v.Set("filter["+k+"]", f)
		}
		v.Set(ParamPageNumber, strconv.Itoa(n))
		v.Set(ParamPageSize, strconv.Itoa(page.Size))
		return r.URL.Path + "?" + v.Encode()
	}
	links := map[string]string{"self": link(page.Number), "first": link(1), "last": link(last)}
	if page.Number > 1 {
		links["prev"] = link(page.Number - 1)
	}
	if page.Number < last {
		links["next"] = link(page.Number + 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"jsonapi": map[string]string{"version": "1.0"},
		"data":    data,
		"links":   links,
		"meta":    map[string]any{"total": total, "page": map[string]int{"number": page.Number, "size": page.Size}},
	})
}

func (h *handler) authorized(r *http.Request) bool {
	eq := func(a, b string) bool {
		ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
		return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && h.opt.AdminToken != "" {
		return eq(tok, h.opt.AdminToken)
	}
	if u, p, ok := r.BasicAuth(); ok && h.opt.AdminUser != "" && h.opt.AdminPassword != "" {
		return eq(u, h.opt.AdminUser) && eq(p, h.opt.AdminPassword)
	}
	return false
}

// maxAdminBody caps admin request bodies.
const maxAdminBody = 64 << 10

func (h *handler) admin(w http.ResponseWriter, r *http.Request, rest string) {
	if !h.authorized(r) {
		writeErr(w, ErrUnauthorized)
		return
	}
	coll, id, ok := strings.Cut(rest, "/")
	if !ok || id == "" || strings.Contains(id, "/") || (coll != TypeOrganizations && coll != TypeAddresses) {
		writeErr(w, ErrNotFound)
		return
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodDelete:
		var err error
		if coll == TypeOrganizations {
			err = h.opt.Book.DeleteOrganization(ctx, id)
		} else {
			err = h.opt.Book.Addresses.DeleteAddress(ctx, id)
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		var doc struct {
			Data resource `json:"data"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, maxAdminBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&doc); err != nil {
			writeErr(w, fmt.Errorf("%w: body: %w", ErrInvalid, err))
			return
		}
		if doc.Data.Type != coll || (doc.Data.ID != "" && doc.Data.ID != id) {
			writeErr(w, fmt.Errorf("%w: body must be a %s resource with id %q", ErrInvalid, coll, id))
			return
		}
		parent := ""
		if rel, ok := doc.Data.Relationships["parent"]; ok && rel.Data != nil {
			parent = rel.Data.ID
		}
		ad := json.NewDecoder(strings.NewReader(string(doc.Data.Attributes)))
		ad.DisallowUnknownFields()
		var res resource
		var err error
		if coll == TypeOrganizations {
			var a orgAttributes
			if err = ad.Decode(&a); err == nil {
				o := Organization{ID: id, Type: a.Type, ParticipantIdentifier: a.ParticipantIdentifier, OrganizationNumber: a.OrganizationNumber,
					Name: a.Name, AlternateName: a.AlternateName, Description: a.Description, CountryCode: a.CountryCode, Parent: parent}
				if err = h.opt.Book.PutOrganization(ctx, o); err == nil {
					res = orgResource(o)
				}
			} else {
				err = fmt.Errorf("%w: attributes: %w", ErrInvalid, err)
			}
		} else {
			var a addressAttributes
			if err = ad.Decode(&a); err == nil {
				adr := Address{ID: id, Identifier: a.Identifier, Name: a.Name, Parent: parent}
				if err = h.opt.Book.PutAddress(ctx, adr); err == nil {
					res = addressResource(adr)
				}
			} else {
				err = fmt.Errorf("%w: attributes: %w", ErrInvalid, err)
			}
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": res})
	default:
		w.Header().Set("Allow", "PUT, DELETE")
		writeError(w, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "", "")
	}
}
