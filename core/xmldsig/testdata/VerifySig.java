// VerifySig checks XML signatures with Apache Santuario, for
// TestSignInteropSantuario; it is test input, not part of Brevduva.
//
// usage: java -cp xmlsec.jar:... VerifySig.java PUBKEY.der=FILE...
// PUBKEY.der is a DER SubjectPublicKeyInfo (RSA or EC) that verifies FILE. Attributes named Id
// (unqualified or wsu:Id) are registered as ID attributes. Prints one line per
// file: "OK <file>" or "FAIL <file> <reason>".
import java.nio.file.*;
import java.security.*;
import java.security.spec.X509EncodedKeySpec;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.xml.security.Init;
import org.apache.xml.security.signature.XMLSignature;
import org.w3c.dom.*;

public class VerifySig {
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

    public static void main(String[] args) throws Exception {
        Init.init();
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        for (String arg : args) {
            String[] kf = arg.split("=", 2);
            String file = kf[1];
            try {
                byte[] der = Files.readAllBytes(Paths.get(kf[0]));
                PublicKey pub;
                try {
                    pub = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
                } catch (Exception e) {
                    pub = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
                }
                Document d = f.newDocumentBuilder().parse(Paths.get(file).toFile());
                NodeList all = d.getElementsByTagNameNS("*", "*");
                for (int j = 0; j < all.getLength(); j++) {
                    Element e = (Element) all.item(j);
                    if (e.hasAttributeNS(WSU, "Id")) e.setIdAttributeNS(WSU, "Id", true);
                    if (e.hasAttributeNS(null, "Id")) e.setIdAttributeNS(null, "Id", true);
                }
                Element sigEl = (Element) d.getElementsByTagNameNS(DS, "Signature").item(0);
                XMLSignature sig = new XMLSignature(sigEl, "");
                System.out.println((sig.checkSignatureValue(pub) ? "OK " : "FAIL ") + file);
            } catch (Exception e) {
                System.out.println("FAIL " + file + " " + e);
            }
        }
    }
}
