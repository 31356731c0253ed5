package dynamo

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/smp"
)

// SMPStore is the DynamoDB smp.Store: one item per participant, pk
// SMP#{participant key}, sk "#", the registration as JSON in "reg". Put replaces the
// item (PutItem); Delete is DeleteItem returning the old item (none: ErrNotFound). The
// "SMP#" prefix never collides with a tenant's keys ("T#…").
type SMPStore struct {
	api   API
	table string
}

var _ smp.Store = (*SMPStore)(nil)

// NewSMPStore returns the SMP registration store on table.
func NewSMPStore(api API, table string) *SMPStore { return &SMPStore{api: api, table: table} }

func smpKey(p smp.Identifier) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "SMP#" + p.Key()},
		"sk": &types.AttributeValueMemberS{Value: "#"},
	}
}

// Get implements smp.Store with a strongly consistent read.
func (s *SMPStore) Get(ctx context.Context, p smp.Identifier) (*smp.Registration, error) {
	out, err := s.api.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: smpKey(p), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("dynamo: smp get %s: %w", p, err)
	}
	v, ok := out.Item["reg"].(*types.AttributeValueMemberS)
	if !ok {
		return nil, fmt.Errorf("dynamo: smp participant %s: %w", p, smp.ErrNotFound)
	}
	r, err := decodeRegistration([]byte(v.Value))
	if err != nil {
		return nil, fmt.Errorf("dynamo: smp participant %s: %w", p, err)
	}
	return r, nil
}

// Put implements smp.Store.
func (s *SMPStore) Put(ctx context.Context, r *smp.Registration) error {
	b, err := encodeRegistration(r)
	if err != nil {
		return fmt.Errorf("dynamo: smp put %s: %w", r.Participant, err)
	}
	item := smpKey(r.Participant)
	item["reg"] = &types.AttributeValueMemberS{Value: string(b)}
	if _, err := s.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("dynamo: smp put %s: %w", r.Participant, err)
	}
	return nil
}

// Delete implements smp.Store.
func (s *SMPStore) Delete(ctx context.Context, p smp.Identifier) error {
	out, err := s.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: smpKey(p),
		ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return fmt.Errorf("dynamo: smp delete %s: %w", p, err)
	}
	if len(out.Attributes) == 0 {
		return fmt.Errorf("dynamo: smp participant %s: %w", p, smp.ErrNotFound)
	}
	return nil
}

// The stored form: smp types with certificates as DER and extension content as XML.
type smpReg struct {
	Participant  smp.Identifier `json:"p"`
	Services     []smpService   `json:"s,omitempty"`
	Certificates []smpCert      `json:"c,omitempty"`
}

type smpService struct {
	Document  smp.Identifier `json:"d"`
	Process   smp.Identifier `json:"pr"`
	Endpoints []smpEndpoint  `json:"e,omitempty"`
}

type smpEndpoint struct {
	TransportProfile              smp.TransportProfile `json:"tp"`
	URI                           string               `json:"uri"`
	RequireBusinessLevelSignature bool                 `json:"bls,omitempty"`
	MinimumAuthenticationLevel    string               `json:"mal,omitempty"`
	ActivationDate                time.Time            `json:"from,omitzero"`
	ExpirationDate                time.Time            `json:"to,omitzero"`
	CertificateDER                []byte               `json:"cert,omitempty"`
	Description                   string               `json:"desc,omitempty"`
	TechnicalContactURL           string               `json:"tc,omitempty"`
	TechnicalInformationURL       string               `json:"ti,omitempty"`
	Extensions                    []smpExtension       `json:"x,omitempty"`
}

type smpExtension struct {
	smp.Extension
	Content string `json:"xml,omitempty"` // shadows Extension.Content (an *etree.Element)
}

type smpCert struct {
	Use certpub.Use `json:"use"`
	DER []byte      `json:"der"`
}

func encodeRegistration(r *smp.Registration) ([]byte, error) {
	w := smpReg{Participant: r.Participant}
	for _, sv := range r.Services {
		ws := smpService{Document: sv.Document, Process: sv.Process}
		for _, e := range sv.Endpoints {
			we := smpEndpoint{TransportProfile: e.TransportProfile, URI: e.URI, RequireBusinessLevelSignature: e.RequireBusinessLevelSignature,
				MinimumAuthenticationLevel: e.MinimumAuthenticationLevel, ActivationDate: e.ActivationDate, ExpirationDate: e.ExpirationDate,
				CertificateDER: e.CertificateDER, Description: e.Description, TechnicalContactURL: e.TechnicalContactURL,
				TechnicalInformationURL: e.TechnicalInformationURL}
			for _, x := range e.Extensions {
				wx := smpExtension{Extension: x}
				wx.Extension.Content = nil
				if x.Content != nil {
					d := etree.NewDocument()
					d.SetRoot(x.Content.Copy())
					s, err := d.WriteToString()
					if err != nil {
						return nil, fmt.Errorf("extension: %w", err)
					}
					wx.Content = s
				}
				we.Extensions = append(we.Extensions, wx)
			}
			ws.Endpoints = append(ws.Endpoints, we)
		}
		w.Services = append(w.Services, ws)
	}
	for _, c := range r.Certificates {
		if c.Cert == nil {
			return nil, errors.New("certpub entry without a certificate")
		}
		w.Certificates = append(w.Certificates, smpCert{Use: c.Use, DER: c.Cert.Raw})
	}
	return json.Marshal(w)
}

func decodeRegistration(b []byte) (*smp.Registration, error) {
	var w smpReg
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	r := &smp.Registration{Participant: w.Participant}
	for _, ws := range w.Services {
		sv := smp.Service{Document: ws.Document, Process: ws.Process}
		for _, we := range ws.Endpoints {
			e := smp.Endpoint{TransportProfile: we.TransportProfile, URI: we.URI, RequireBusinessLevelSignature: we.RequireBusinessLevelSignature,
				MinimumAuthenticationLevel: we.MinimumAuthenticationLevel, ActivationDate: we.ActivationDate, ExpirationDate: we.ExpirationDate,
				CertificateDER: we.CertificateDER, Description: we.Description, TechnicalContactURL: we.TechnicalContactURL,
				TechnicalInformationURL: we.TechnicalInformationURL}
			for _, wx := range we.Extensions {
				x := wx.Extension
				if wx.Content != "" {
					d := etree.NewDocument()
					if err := d.ReadFromString(wx.Content); err != nil {
						return nil, fmt.Errorf("decode extension: %w", err)
					}
					if d.Root() == nil {
						return nil, errors.New("decode extension: no element")
					}
					x.Content = d.Root()
				}
				e.Extensions = append(e.Extensions, x)
			}
			sv.Endpoints = append(sv.Endpoints, e)
		}
		r.Services = append(r.Services, sv)
	}
	for _, c := range w.Certificates {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			return nil, fmt.Errorf("decode certificate: %w", err)
		}
		r.Certificates = append(r.Certificates, certpub.Certificate{Use: c.Use, Cert: cert})
	}
	return r, nil
}
