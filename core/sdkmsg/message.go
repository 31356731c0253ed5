package sdkmsg

// Namespace is the target namespace of the SDK message v3 XSD.
const Namespace = "urn:riv:infrastructure:messaging:MessageWithAttachments:3"

// Spec values of [CONTENT] §4.3 and MessageConstraints.xml, copied verbatim.
const (
	// ParticipantScheme is the root of senderID and recipientID (patterns senderIdvalue,
	// recipientIdvalue).
	ParticipantScheme = "iso6523-actorid-upis"
	// FunctionalAddressRoot is the root of subOrganization/organizationId (pattern subOrgRoot).
	FunctionalAddressRoot = "urn:riv:infrastructure:messaging:functionalAddress"
	// ParticipantPrefix starts every participant id: ICD 0203 [CONTENT] §4.3, spec-facts §a.2.
	ParticipantPrefix = "0203:"
)

// MaxBytes is the 30 MB limit on a whole SDK message, attachments included [CONTENT] §5
// (over it → REJECTED/BV/too-long). "MB" is read as 10^6 bytes, the stricter reading.
const MaxBytes = 30_000_000

// II is the XSD's IIType: an identifier with its scheme (root) and value (extension).
type II struct {
	Root      string
	Extension string
}

// Person is attention/person: a reference to a person, never an address.
type Person struct {
	PersonID *II
	Label    string
}

// Reference is attention/reference (a case number or the like).
type Reference struct {
	ReferenceID II
	Label       string
}

// Attention is the AttentionDataType: persons, the function address and references.
type Attention struct {
	Persons []Person
	// FunctionAddress is subOrganization/organizationId/extension; its root is
	// FunctionalAddressRoot. It must equal the XHE HandlingServiceID.
	FunctionAddress string
	// FunctionLabel is subOrganization/label (the function's name), optional.
	FunctionLabel string
	References    []Reference
}

// Party is the recipient or the sender of a message.
type Party struct {
	// ID is the organisation's participant id, "0203:<domain>" (root ParticipantScheme).
	ID        string
	Label     string
	Attention *Attention // required for the recipient, optional for the sender (XSD)
}

// File is one ContentFiles entry; Content holds the decoded bytes.
type File struct {
	FileName    string
	ContentType string
	Content     []byte
}

// Document is one messageBody/documents.
type Document struct {
	DocumentID   string
	DocumentName string
	Index        string
	Files        []File
	Texts        []string // ContentText/characterSequence (Markdown subset, [CONTENT] §4.4)
}

// Message is the content of messagePayload/message.
type Message struct {
	// CreationDateTime is kept as written (pattern creationDateTime wants
	// YYYY-MM-DDThh:mm:ss.sssZ); FormatTime produces it.
	CreationDateTime string
	MessageID        string
	ConversationID   string
	RefToMessageID   string
	Label            string
	Confidentiality  bool
	GeneratingSystem *II
	Recipient        Party
	Sender           Party
	Documents        []Document
}
