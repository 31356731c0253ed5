package sdkapi

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/sdkmsg"
)

// DefaultMaxBody caps a sendMessage document: the 30 MB SDK message limit in base64
// inside JSON (spec-facts §k 19).
const DefaultMaxBody = 48 << 20

// MaxPageSize caps page[size].
const MaxPageSize = 100

// Authenticator checks the bearer token of a request (core/oauth.Verifier fits).
type Authenticator interface {
	Authenticate(r *http.Request) (oauth.Principal, error)
}

// Options configure NewHandler.
type Options struct {
	Service Service
	Auth    Authenticator
	// BasePath is the path the API is served below ("" or e.g. "/sdk-api/v1").
	BasePath string
	Now      func() time.Time
	NewID    func() string // message and conversation ids; nil: random UUIDs
	MaxBody  int64         // 0: DefaultMaxBody
	Logger   *slog.Logger  // nil: discard
	// Signer holds the tenants' O2O signing keys for the remote signer (sign.go); nil: none.
	Signer        SigningKeys
	SignPerMinute int // per tenant; 0: DefaultSignPerMinute
	// AllowedOrigins are the browser origins ("https://host[:port]") answered with CORS
	// headers (cors.go); nil: none (same-origin pages only).
	AllowedOrigins []string
}

type handler struct {
	o       Options
	mux     *http.ServeMux
	limiter *rateLimiter
}

// NewHandler returns the SDK API handler.
func NewHandler(o Options) (http.Handler, error) {
	if o.Service == nil || o.Auth == nil || o.Now == nil {
		return nil, errors.New("sdkapi: handler: Service, Auth and Now are required")
	}
	if o.BasePath != "" && (!strings.HasPrefix(o.BasePath, "/") || strings.HasSuffix(o.BasePath, "/")) {
		return nil, fmt.Errorf("sdkapi: handler: base path %q must start and not end with /", o.BasePath)
	}
	if err := checkOrigins(o.AllowedOrigins); err != nil {
		return nil, err
	}
	if o.NewID == nil {
		o.NewID = newUUID
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Signer == nil {
		o.Signer = KeyMap{}
	}
	h := &handler{o: o, mux: http.NewServeMux(), limiter: newRateLimiter(o.SignPerMinute)}
	b := o.BasePath
	h.mux.HandleFunc(b+"/sdk/messages", h.messages)
	h.mux.HandleFunc(b+"/sdk/messages/{id}", h.message)
	h.mux.HandleFunc(b+"/sdk/mailboxes/{address}/messages", h.mailbox)
	h.mux.HandleFunc(b+"/sdk/mailboxes/{address}/messages/{id}", h.mail)
	h.mux.HandleFunc(b+"/sdk/mailboxes/{address}/messages/{id}/read", h.markRead)
	h.mux.HandleFunc(b+"/sdk/mailboxes/{address}/messages/{id}/kvittens", h.kvittens)
	h.mux.HandleFunc(b+"/sdk/signatures", h.sign)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, Problem{Type: ProblemNotFound, Status: http.StatusNotFound, Detail: "no such resource"})
	})
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cors(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

// auth checks the token and the operation's scopes; it writes the problem and returns
// false when the request may not go on.
func (h *handler) auth(w http.ResponseWriter, r *http.Request, op string, scopes ...string) (oauth.Principal, bool) {
	p, err := h.o.Auth.Authenticate(r)
	if err != nil {
		errCode := "invalid_token"
		if errors.Is(err, oauth.ErrNoToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sdk"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sdk", error="`+errCode+`"`)
		}
		h.o.Logger.Info("sdk api unauthenticated", "op", op)
		writeProblem(w, r, Problem{Type: ProblemUnauthorized, Status: http.StatusUnauthorized, Detail: "a valid bearer token is required"})
		return p, false
	}
	if !p.HasAny(scopes...) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sdk", error="insufficient_scope", scope="`+strings.Join(scopes, " ")+`"`)
		h.o.Logger.Info("sdk api insufficient scope", "op", op, "tenant", p.Tenant, "client", p.ClientID)
		writeProblem(w, r, Problem{Type: ProblemForbidden, Status: http.StatusForbidden, Detail: "the token lacks the scope " + scopes[0]})
		return p, false
	}
	return p, true
}

// mailboxAuth is auth for the mailbox extension: the one method the route takes (else 405),
// the scope, and a token limited to some function addresses
// (oauth.Principal.LimitFunctionAddresses) opens only their mailboxes.
func (h *handler) mailboxAuth(w http.ResponseWriter, r *http.Request, method, op string) (oauth.Principal, bool) {
	if r.Method != method {
		h.methodNotAllowed(w, r, method)
		return oauth.Principal{}, false
	}
	p, ok := h.auth(w, r, op, oauth.ScopeMailbox)
	if ok && !p.MayUseFunctionAddress(r.PathValue("address")) {
		h.o.Logger.Info("sdk api mailbox not authorised", "op", op, "tenant", p.Tenant, "client", p.ClientID)
		writeProblem(w, r, Problem{Type: ProblemForbidden, Status: http.StatusForbidden, Detail: "the token does not open this function address's mailbox"})
		return p, false
	}
	return p, ok
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeProblem(w, r, Problem{Type: ProblemMethodNotAllowed, Status: http.StatusMethodNotAllowed, Detail: "allowed: " + allow})
}

// fail maps a Service error to a problem.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, p oauth.Principal, op string, err error) {
	var rej *kvittens.Rejection
	switch {
	case errors.As(err, &rej):
		pr := Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "the SDK message is not valid"}
		for _, v := range rej.Violations {
			pr.EventIssues = append(pr.EventIssues, EventIssue{TypeCode: v.Rule, Title: string(v.Reason) + "/" + string(v.Detail), Detail: v.Text, In: v.Location})
		}
		h.o.Logger.Info("sdk api rejected", "op", op, "tenant", p.Tenant, "violations", len(rej.Violations))
		writeProblem(w, r, pr)
	case errors.Is(err, ErrNotFound):
		writeProblem(w, r, Problem{Type: ProblemNotFound, Status: http.StatusNotFound, Detail: "no such message"})
	case errors.Is(err, ErrInvalid):
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "the message is not valid"})
	case errors.Is(err, ErrDuplicate):
		writeProblem(w, r, Problem{Type: ProblemConflict, Status: http.StatusConflict, Detail: "the messageId is already used"})
	case errors.Is(err, ErrNotDeletable):
		writeProblem(w, r, Problem{Type: ProblemConflict, Status: http.StatusConflict, Detail: "the message cannot be deleted in its status"})
	case errors.Is(err, ErrRecipientNotFound):
		writeProblem(w, r, Problem{Type: ProblemUnprocessable, Status: http.StatusUnprocessableEntity, Detail: "the recipient was not found (SMP/CertPub)",
			EventIssues: []EventIssue{{TypeCode: "recipient", Title: "not found", In: "data.attributes.recipient"}}})
	case errors.Is(err, ErrRecipientUntrusted):
		writeProblem(w, r, Problem{Type: ProblemUnprocessable, Status: http.StatusUnprocessableEntity,
			Detail:      "the recipient's access point cannot be trusted (SMP signature or AP certificate)",
			EventIssues: []EventIssue{{TypeCode: "recipient", Title: "untrusted access point", In: "data.attributes.recipient"}}})
	case errors.Is(err, ErrNotSupported):
		writeProblem(w, r, Problem{Type: ProblemNotImplemented, Status: http.StatusNotImplemented, Detail: "this installation's store does not support the operation"})
	default:
		h.o.Logger.Error("sdk api failed", "op", op, "tenant", p.Tenant, "err", err.Error())
		writeProblem(w, r, Problem{Type: ProblemInternalServerError, Status: http.StatusInternalServerError})
		return
	}
	h.o.Logger.Info("sdk api refused", "op", op, "tenant", p.Tenant, "err", err.Error())
}

func (h *handler) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", MediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (h *handler) url(path string, q url.Values) string {
	u := h.o.BasePath + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (h *handler) messages(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		h.send(w, r)
	case http.MethodGet:
		h.list(w, r)
	default:
		h.methodNotAllowed(w, r, "GET, POST")
	}
}

func (h *handler) message(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		h.get(w, r)
	case http.MethodDelete:
		h.delete(w, r)
	default:
		h.methodNotAllowed(w, r, "GET, DELETE")
	}
}

type createDocument struct {
	Data *Resource `json:"data"`
}

func (h *handler) send(w http.ResponseWriter, r *http.Request) {
	const op = "sendMessage"
	p, ok := h.auth(w, r, op, oauth.ScopeSend...)
	if !ok {
		return
	}
	data, ok := h.readDocument(w, r)
	if !ok {
		return
	}
	a := &data.Attributes
	participant, err := h.o.Service.Participant(r.Context(), p.Tenant)
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	sub, issues := h.submission(a, data.ID, participant)
	if len(issues) > 0 {
		status, typ := http.StatusBadRequest, ProblemBadRequest
		if issues[0].TypeCode == "sender" {
			status, typ = http.StatusForbidden, ProblemForbidden
		}
		writeProblem(w, r, Problem{Type: typ, Status: status, Detail: "the message cannot be sent", EventIssues: issues})
		return
	}
	sent, err := h.o.Service.Send(r.Context(), p.Tenant, sub)
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	h.o.Logger.Info("sdk message submitted", "tenant", p.Tenant, "client", p.ClientID, "messageId", sent.MessageID,
		"sender", sent.Sender, "recipient", sent.Recipient, "sealedByClient", sub.XHE != nil)
	self := h.url("/sdk/messages/"+url.PathEscape(sent.MessageID), nil)
	w.Header().Set("Location", self)
	h.write(w, http.StatusCreated, Document[Resource]{Meta: &Meta{Version: Version}, Links: &Links{Self: self},
		Data: Resource{Type: TypeMessages, ID: sent.MessageID, Attributes: FromSent(sent)}})
}

// readDocument reads a JSON:API document with one "messages" resource (at most MaxBody
// bytes); it writes the problem and returns false when the body is not one.
func (h *handler) readDocument(w http.ResponseWriter, r *http.Request) (*Resource, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != MediaType && mt != "application/json" {
		writeProblem(w, r, Problem{Type: ProblemUnsupportedMedia, Status: http.StatusUnsupportedMediaType, Detail: "send " + MediaType})
		return nil, false
	}
	var doc createDocument
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	if err := dec.Decode(&doc); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, r, Problem{Type: ProblemTooLarge, Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("more than %d bytes", h.o.MaxBody)})
			return nil, false
		}
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "the body is not a JSON document",
			EventIssues: []EventIssue{{TypeCode: "json", Title: "unreadable", Detail: err.Error(), In: "body"}}})
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "trailing data after the document"})
		return nil, false
	}
	if doc.Data == nil || doc.Data.Type != TypeMessages {
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: `data of type "messages" required`,
			EventIssues: []EventIssue{{TypeCode: "required", Title: "data.type", In: "data.type"}}})
		return nil, false
	}
	return doc.Data, true
}

// submission checks the create attributes and builds what is sent. Issues name every
// problem; a "sender" issue first means the caller may not send as that sender.
func (h *handler) submission(a *Attributes, id, participant string) (Submission, []EventIssue) {
	if a.SealedXHE != nil {
		if a.Label != "" || len(a.DigitalDocument) > 0 || a.SenderAttention != nil || a.RecipientAttention != nil {
			return Submission{}, []EventIssue{{TypeCode: "sealedXhe", Title: "sealedXhe excludes content attributes", In: "data.attributes"}}
		}
		if a.Sender != "" && !sameParticipant(a.Sender, participant) {
			return Submission{}, []EventIssue{{TypeCode: "sender", Title: "not this client's organisation", In: "data.attributes.sender"}}
		}
		return Submission{XHE: a.SealedXHE}, nil
	}
	var issues []EventIssue
	if a.Sender != "" && !sameParticipant(a.Sender, participant) {
		return Submission{}, []EventIssue{{TypeCode: "sender", Title: "not this client's organisation", Detail: "the token may send as " + participant, In: "data.attributes.sender"}}
	}
	for _, req := range []struct {
		missing bool
		name    string
	}{{a.Confidentiality == nil, "confidentiality"}, {a.Label == "", "label"}, {a.Sender == "", "sender"}, {a.Recipient == "", "recipient"}} {
		if req.missing {
			issues = append(issues, EventIssue{TypeCode: "required", Title: req.name + " is required", In: "data.attributes." + req.name})
		}
	}
	if len([]rune(a.Label)) > sdkmsgMaxLabel {
		issues = append(issues, EventIssue{TypeCode: "maxLength", Title: "label is longer than 256", In: "data.attributes.label"})
	}
	if len(issues) > 0 {
		return Submission{}, issues
	}
	if a.MessageID == "" {
		a.MessageID = id
	}
	if a.MessageID == "" {
		a.MessageID = h.o.NewID()
	}
	if id != "" && id != a.MessageID {
		return Submission{}, []EventIssue{{TypeCode: "inconsistent", Title: "data.id differs from messageId", In: "data.id"}}
	}
	if a.ConversationID == "" {
		a.ConversationID = a.MessageID
	}
	if a.CreationDateTime == "" {
		a.CreationDateTime = sdkmsg.FormatTime(h.o.Now())
	}
	b, err := ToMessage(a).Bytes()
	if err != nil {
		var rej *kvittens.Rejection
		if errors.As(err, &rej) {
			for _, v := range rej.Violations {
				issues = append(issues, EventIssue{TypeCode: v.Rule, Title: string(v.Reason) + "/" + string(v.Detail), Detail: v.Text, In: v.Location})
			}
		}
		if len(issues) == 0 {
			issues = []EventIssue{{TypeCode: "invalid", Title: "not a valid SDK message", Detail: err.Error()}}
		}
		return Submission{}, issues
	}
	return Submission{Message: b}, nil
}

const sdkmsgMaxLabel = 256

// sameParticipant compares participant ids lower-cased (⚠U spec-facts §k 21).
func sameParticipant(a, b string) bool { return strings.EqualFold(a, b) }

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	const op = "getMessageById"
	p, ok := h.auth(w, r, op, oauth.ScopeGetMessage)
	if !ok {
		return
	}
	s, err := h.o.Service.Sent(r.Context(), p.Tenant, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	self := h.url("/sdk/messages/"+url.PathEscape(s.MessageID), nil)
	h.write(w, http.StatusOK, Document[Resource]{Meta: &Meta{Version: Version}, Links: &Links{Self: self},
		Data: Resource{Type: TypeMessages, ID: s.MessageID, Attributes: FromSent(s)}})
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request) {
	const op = "deleteMessageById"
	p, ok := h.auth(w, r, op, oauth.ScopeDeleteMessage)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := h.o.Service.DeleteSent(r.Context(), p.Tenant, id); err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	h.o.Logger.Info("sdk message deleted", "tenant", p.Tenant, "client", p.ClientID, "messageId", id)
	h.write(w, http.StatusAccepted, Document[*Resource]{Meta: &Meta{Version: Version}})
}

// filters getMessageByFilter understands (spec-facts §i).
const (
	filterStatus            = "filter[messageStatus]"
	filterRecipientFunction = "filter[recipientAttention.subOrganization.extension]"
	pageSize                = "page[size]"
	pageCursor              = "page[cursor]"
)

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	const op = "getMessageByFilter"
	p, ok := h.auth(w, r, op, oauth.ScopeGetMessageByFilter)
	if !ok {
		return
	}
	q := r.URL.Query()
	var issues []EventIssue
	for k := range q {
		switch k {
		case filterStatus, filterRecipientFunction, pageSize, pageCursor:
		default:
			issues = append(issues, EventIssue{TypeCode: "unsupportedParameter", Title: "unknown query parameter", In: k})
		}
	}
	f := Filter{Status: q.Get(filterStatus), RecipientFunction: q.Get(filterRecipientFunction), Cursor: q.Get(pageCursor)}
	if f.Status != "" && !knownStatus(f.Status) {
		issues = append(issues, EventIssue{TypeCode: "enum", Title: "unknown messageStatus", In: filterStatus})
	}
	f.Limit, issues = pageLimit(q, issues)
	if len(issues) > 0 {
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "bad query", EventIssues: issues})
		return
	}
	page, err := h.o.Service.ListSent(r.Context(), p.Tenant, f)
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	data := make([]Resource, 0, len(page.Items))
	for _, s := range page.Items {
		a := FromSent(s)
		a.DigitalDocument = nil
		data = append(data, Resource{Type: TypeMessages, ID: s.MessageID, Attributes: a})
	}
	links := &Links{Self: h.url("/sdk/messages", q)}
	if page.Next != "" {
		q.Set(pageCursor, page.Next)
		links.Next = h.url("/sdk/messages", q)
	}
	h.write(w, http.StatusOK, Document[[]Resource]{Meta: &Meta{Version: Version}, Links: links, Data: data})
}

func pageLimit(q url.Values, issues []EventIssue) (int, []EventIssue) {
	s := q.Get(pageSize)
	if s == "" {
		return 0, issues
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageSize {
		return 0, append(issues, EventIssue{TypeCode: "range", Title: fmt.Sprintf("page size 1..%d", MaxPageSize), In: pageSize})
	}
	return n, issues
}

// Statuses are DIGG's messageStatus values (spec-facts §i), copied verbatim.
var Statuses = []string{"SCHEDULED", "SUBMITTED", "SCHEDULED_FOR_RESEND", "ACKNOWLEDGE", "WAITING_FOR_RECEIPT",
	"MESSAGE_EXCHANGE_ERROR", "ACCEPTED", "REJECTED", "RETRIEVED", "RECEIPT_SENT", "NEW", "ERROR"}

func knownStatus(s string) bool {
	for _, v := range Statuses {
		if v == s {
			return true
		}
	}
	return false
}

func (h *handler) mailbox(w http.ResponseWriter, r *http.Request) {
	const op = "listMailbox"
	p, ok := h.mailboxAuth(w, r, http.MethodGet, op)
	if !ok {
		return
	}
	q := r.URL.Query()
	var issues []EventIssue
	for k := range q {
		if k != pageSize && k != pageCursor {
			issues = append(issues, EventIssue{TypeCode: "unsupportedParameter", Title: "unknown query parameter", In: k})
		}
	}
	limit, issues := pageLimit(q, issues)
	if len(issues) > 0 {
		writeProblem(w, r, Problem{Type: ProblemBadRequest, Status: http.StatusBadRequest, Detail: "bad query", EventIssues: issues})
		return
	}
	address := r.PathValue("address")
	page, err := h.o.Service.ListMail(r.Context(), p.Tenant, address, q.Get(pageCursor), limit)
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	data := make([]Resource, 0, len(page.Items))
	for _, m := range page.Items {
		data = append(data, Resource{Type: TypeMessages, ID: m.MessageID, Attributes: fromMail(m)})
	}
	base := "/sdk/mailboxes/" + url.PathEscape(address) + "/messages"
	links := &Links{Self: h.url(base, q)}
	if page.Next != "" {
		q.Set(pageCursor, page.Next)
		links.Next = h.url(base, q)
	}
	h.write(w, http.StatusOK, Document[[]Resource]{Meta: &Meta{Version: Version}, Links: links, Data: data})
}

func fromMail(m Mail) Attributes {
	a := Attributes{MessageID: m.MessageID, ConversationID: m.ConversationID, Sender: m.Sender, Recipient: m.Recipient, Label: m.Label,
		Mailbox: &MailboxState{FunctionAddress: m.FunctionAddress, DeliveredAt: formatTime(m.DeliveredAt), ReadAt: formatTime(m.ReadAt), Sealed: m.Sealed}}
	if !m.Sealed {
		conf := m.Confidential
		a.Confidentiality = &conf
	}
	return a
}

func (h *handler) mail(w http.ResponseWriter, r *http.Request) {
	const op = "getMailboxMessage"
	p, ok := h.mailboxAuth(w, r, http.MethodGet, op)
	if !ok {
		return
	}
	m, err := h.o.Service.GetMail(r.Context(), p.Tenant, r.PathValue("address"), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	if wantsXML(r) {
		ct := m.ContentType
		if ct == "" {
			ct = "text/xml"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(m.Body)
		return
	}
	a := fromMail(m)
	if m.Sealed {
		a.SealedXHE = m.Body
	} else {
		msg, err := sdkmsg.Parse(m.Body)
		if err != nil {
			h.fail(w, r, p, op, fmt.Errorf("sdkapi: stored message %s: %w", m.MessageID, err))
			return
		}
		full := FromMessage(msg)
		full.Mailbox = a.Mailbox
		a = full
	}
	self := h.url("/sdk/mailboxes/"+url.PathEscape(m.FunctionAddress)+"/messages/"+url.PathEscape(m.MessageID), nil)
	h.write(w, http.StatusOK, Document[Resource]{Meta: &Meta{Version: Version}, Links: &Links{Self: self},
		Data: Resource{Type: TypeMessages, ID: m.MessageID, Attributes: a}})
}

func wantsXML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == "text/xml" || mt == "application/xml" {
			return true
		}
	}
	return false
}

func (h *handler) markRead(w http.ResponseWriter, r *http.Request) {
	const op = "markMailboxMessageRead"
	p, ok := h.mailboxAuth(w, r, http.MethodPost, op)
	if !ok {
		return
	}
	m, err := h.o.Service.MarkRead(r.Context(), p.Tenant, r.PathValue("address"), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, p, op, err)
		return
	}
	h.o.Logger.Info("sdk mailbox message read", "tenant", p.Tenant, "client", p.ClientID, "messageId", m.MessageID, "functionAddress", m.FunctionAddress)
	h.write(w, http.StatusOK, Document[Resource]{Meta: &Meta{Version: Version},
		Data: Resource{Type: TypeMessages, ID: m.MessageID, Attributes: fromMail(m)}})
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
