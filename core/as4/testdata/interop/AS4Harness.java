// AS4Harness opens a message Brevduva's core/as4 packed, with Apache Santuario
// (xmlsec 2.1.x) only: it decrypts every attachment (xenc:EncryptedKey with
// xmlenc11#rsa-oaep + mgf1sha256 + sha256, xenc:EncryptedData aes128-gcm) and then
// verifies the WS-Security signature, every ds:Reference included. It is compiled
// by core/as4's interop test into a temporary directory.
//
// Usage: java AS4Harness <recipient-pkcs8.der> <signer-cert.der> <soap.xml> <outdir> <cid>=<file> ...
// Each <file> holds the attachment's content octets as they were on the wire.
//
// What is ours and not Santuario's: the two SwA profile 1.1 transforms, which
// Santuario does not implement. Attachment-Ciphertext-Transform is done by
// putting the part's octets into a CipherValue; Attachment-Content-Signature-
// Transform is registered as the identity, which it is for the application/gzip
// parts AS4 signs (the harness refuses any other MimeType).
import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.xml.security.encryption.EncryptedKey;
import org.apache.xml.security.encryption.XMLCipher;
import org.apache.xml.security.signature.XMLSignature;
import org.apache.xml.security.signature.XMLSignatureInput;
import org.apache.xml.security.transforms.Transform;
import org.apache.xml.security.transforms.TransformSpi;
import org.apache.xml.security.utils.resolver.ResourceResolverContext;
import org.apache.xml.security.utils.resolver.ResourceResolverException;
import org.apache.xml.security.utils.resolver.ResourceResolverSpi;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public class AS4Harness {
    static final String XENC = "http://www.w3.org/2001/04/xmlenc#";
    static final String DS = "http://www.w3.org/2000/09/xmldsig#";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String SWA = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#";

    public static class ContentTransform extends TransformSpi {
        @Override
        protected String engineGetURI() {
            return SWA + "Attachment-Content-Signature-Transform";
        }

        @Override
        protected XMLSignatureInput enginePerformTransform(XMLSignatureInput in, OutputStream os, Transform t) {
            return in;
        }
    }

    static class CidResolver extends ResourceResolverSpi {
        final Map<String, byte[]> parts;

        CidResolver(Map<String, byte[]> parts) {
            this.parts = parts;
        }

        @Override
        public boolean engineCanResolveURI(ResourceResolverContext c) {
            return c.uriToResolve != null && c.uriToResolve.startsWith("cid:");
        }

        @Override
        public XMLSignatureInput engineResolveURI(ResourceResolverContext c) throws ResourceResolverException {
            byte[] b = parts.get(c.uriToResolve.substring(4));
            if (b == null) {
                throw new ResourceResolverException("no part " + c.uriToResolve, c.uriToResolve, c.baseUri);
            }
            return new XMLSignatureInput(b);
        }
    }

    public static void main(String[] args) throws Exception {
        org.apache.xml.security.Init.init();
        Transform.register(SWA + "Attachment-Content-Signature-Transform", ContentTransform.class);
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(new File(args[0]).toPath())));
        X509Certificate signer = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.FileInputStream(args[1]));
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document doc = f.newDocumentBuilder().parse(new File(args[2]));
        File outdir = new File(args[3]);
        Map<String, byte[]> wire = new HashMap<>();
        for (int i = 4; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            wire.put(kv[0], Files.readAllBytes(new File(kv[1]).toPath()));
        }

        // wsu:Id and Id are ID attributes for same-document references.
        NodeList all = doc.getElementsByTagNameNS("*", "*");
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (e.hasAttributeNS(WSU, "Id")) {
                e.setIdAttributeNS(WSU, "Id", true);
            }
            if (e.hasAttributeNS(null, "Id")) {
                e.setIdAttributeNS(null, "Id", true);
            }
        }

        // 1. Decrypt every attachment.
        Map<String, byte[]> plain = new HashMap<>();
        NodeList eks = doc.getElementsByTagNameNS(XENC, "EncryptedKey");
        for (int i = 0; i < eks.getLength(); i++) {
            Element ekEl = (Element) eks.item(i);
            XMLCipher kc = XMLCipher.getInstance();
            kc.init(XMLCipher.UNWRAP_MODE, key);
            EncryptedKey ek = kc.loadEncryptedKey(doc, ekEl);
            System.out.println("key transport " + ek.getEncryptionMethod().getAlgorithm()
                    + " mgf " + ek.getEncryptionMethod().getMGFAlgorithm()
                    + " digest " + ek.getEncryptionMethod().getDigestAlgorithm());
            NodeList drs = ekEl.getElementsByTagNameNS(XENC, "DataReference");
            for (int j = 0; j < drs.getLength(); j++) {
                String id = ((Element) drs.item(j)).getAttribute("URI").substring(1);
                Element ed = doc.getElementById(id);
                String alg = ((Element) ed.getElementsByTagNameNS(XENC, "EncryptionMethod").item(0)).getAttribute("Algorithm");
                if (!"application/gzip".equals(ed.getAttribute("MimeType"))) {
                    throw new IllegalStateException("harness only handles application/gzip parts, got " + ed.getAttribute("MimeType"));
                }
                java.security.Key cek = kc.decryptKey(ek, alg);
                Element cref = (Element) ed.getElementsByTagNameNS(XENC, "CipherReference").item(0);
                String cid = cref.getAttribute("URI").substring(4);
                // Attachment-Ciphertext-Transform: the part's octets are the cipher value.
                Element cd = (Element) cref.getParentNode();
                cd.removeChild(cref);
                Element cv = doc.createElementNS(XENC, "xenc:CipherValue");
                cv.setTextContent(Base64.getEncoder().encodeToString(wire.get(cid)));
                cd.appendChild(cv);
                XMLCipher dc = XMLCipher.getInstance(alg);
                dc.init(XMLCipher.DECRYPT_MODE, cek);
                byte[] pt = dc.decryptToByteArray(ed);
                plain.put(cid, pt);
                Files.write(new File(outdir, cid).toPath(), pt);
                System.out.println("decrypted cid:" + cid + " " + alg + " " + pt.length + " bytes");
            }
        }

        // 2. Verify the signature and every reference.
        Element sigEl = (Element) doc.getElementsByTagNameNS(DS, "Signature").item(0);
        XMLSignature sig = new XMLSignature(sigEl, "");
        sig.addResourceResolver(new CidResolver(plain));
        boolean ok = sig.checkSignatureValue(signer);
        for (int i = 0; i < sig.getSignedInfo().getLength(); i++) {
            System.out.println("reference " + sig.getSignedInfo().item(i).getURI() + " "
                    + (sig.getSignedInfo().getVerificationResult(i) ? "ok" : "FAILED"));
        }
        System.out.println(ok ? "signature OK" : "signature FAILED");
        if (!ok) {
            System.exit(1);
        }
    }
}
