package sdkapi

import (
	"encoding/json"
	"net/http"
)

// ProblemMediaType is the content type of errors (RFC 7807 §3).
const ProblemMediaType = "application/problem+json"

// Problem types, in the form of DIGG's example urn:problem-type:sdk:badRequest (⚠U: the
// others follow its pattern).
const (
	ProblemBadRequest          = "urn:problem-type:sdk:badRequest"
	ProblemUnauthorized        = "urn:problem-type:sdk:unauthorized"
	ProblemForbidden           = "urn:problem-type:sdk:forbidden"
	ProblemNotFound            = "urn:problem-type:sdk:notFound"
	ProblemMethodNotAllowed    = "urn:problem-type:sdk:methodNotAllowed"
	ProblemConflict            = "urn:problem-type:sdk:conflict"
	ProblemTooLarge            = "urn:problem-type:sdk:payloadTooLarge"
	ProblemUnsupportedMedia    = "urn:problem-type:sdk:unsupportedMediaType"
	ProblemUnprocessable       = "urn:problem-type:sdk:unprocessableEntity"
	ProblemInternalServerError = "urn:problem-type:sdk:internalServerError"
	ProblemNotImplemented      = "urn:problem-type:sdk:notImplemented"
)

var problemTitles = map[string]string{
	ProblemBadRequest:          "Bad Request",
	ProblemUnauthorized:        "Unauthorized",
	ProblemForbidden:           "Forbidden",
	ProblemNotFound:            "Not Found",
	ProblemMethodNotAllowed:    "Method Not Allowed",
	ProblemConflict:            "Conflict",
	ProblemTooLarge:            "Payload Too Large",
	ProblemUnsupportedMedia:    "Unsupported Media Type",
	ProblemUnprocessable:       "Unprocessable Entity",
	ProblemInternalServerError: "Internal Server Error",
	ProblemNotImplemented:      "Not Implemented",
}

// writeProblem writes p; Title is filled from the type, Instance from the request.
func writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Title == "" {
		p.Title = problemTitles[p.Type]
	}
	if p.Instance == "" {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", ProblemMediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
