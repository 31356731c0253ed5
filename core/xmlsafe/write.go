package xmlsafe

import (
	"fmt"

	"github.com/beevik/etree"
)

// Serialize writes doc so that parsing the output gives back the same
// character data: attribute values escape tab, line feed and carriage return
// (&#x9; &#xA; &#xD;) and text escapes carriage return (&#xD;). etree's
// default settings write them literally, and XML §2.11 end-of-line handling
// and §3.3.3 attribute-value normalisation then change them on the next
// parse, which breaks signatures over such content. Use it for every signed
// document that leaves the process. doc (and its WriteSettings) is not
// modified; indentation is never added.
func Serialize(doc *etree.Document) ([]byte, error) {
	out := etree.Document{Element: doc.Element, WriteSettings: doc.WriteSettings}
	out.WriteSettings.CanonicalAttrVal = true
	out.WriteSettings.CanonicalText = true
	out.WriteSettings.AttrSingleQuote = false
	b, err := out.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("xmlsafe: serialize: %w", err)
	}
	return b, nil
}
