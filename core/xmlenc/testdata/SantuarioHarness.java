// SantuarioHarness drives Apache Santuario (xmlsec 2.1.x) for Brevduva's core/xmlenc
// interop tests. It is compiled by the test into a temporary directory.
//
// Usage: java SantuarioHarness jobs.txt
// Each line of jobs.txt is one job, fields separated by a tab:
//   decrypt <pkcs8-key.der> <in.xml> <out.xml>
//       decrypts the first xenc:EncryptedData of in.xml (EncryptedKey inside its KeyInfo)
//   encrypt <cert.der> <in.xml> <out.xml> <ns-uri> <local-name> <suite>
//       replaces the first {ns-uri}local-name of in.xml by an EncryptedData (Type #Element)
//       with an EncryptedKey in its ds:KeyInfo; suite "as4" = aes128-gcm + xmlenc11#rsa-oaep,
//       mgf1sha256, sha256; suite "o2o" = aes256-cbc + rsa-oaep-mgf1p, sha1.
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;

import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.apache.xml.security.encryption.EncryptedData;
import org.apache.xml.security.encryption.EncryptedKey;
import org.apache.xml.security.encryption.XMLCipher;
import org.apache.xml.security.keys.KeyInfo;
import org.apache.xml.security.utils.EncryptionConstants;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

public class SantuarioHarness {
    static final String XENC = "http://www.w3.org/2001/04/xmlenc#";
    static final String SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1";
    static final String SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

    public static void main(String[] args) throws Exception {
        org.apache.xml.security.Init.init();
        List<String> jobs = Files.readAllLines(new File(args[0]).toPath(), StandardCharsets.UTF_8);
        for (String job : jobs) {
            if (job.isEmpty()) {
                continue;
            }
            String[] f = job.split("\t");
            if (f[0].equals("decrypt")) {
                decrypt(f[1], f[2], f[3]);
            } else if (f[0].equals("encrypt")) {
                encrypt(f[1], f[2], f[3], f[4], f[5], f[6]);
            } else {
                throw new IllegalArgumentException("unknown job " + f[0]);
            }
        }
    }

    static Document read(String path) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        DocumentBuilder db = dbf.newDocumentBuilder();
        return db.parse(new File(path));
    }

    static void write(Document doc, String path) throws Exception {
        Transformer t = TransformerFactory.newInstance().newTransformer();
        t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
        t.transform(new DOMSource(doc), new StreamResult(new File(path)));
    }

    static void decrypt(String keyPath, String in, String out) throws Exception {
        byte[] der = Files.readAllBytes(new File(keyPath).toPath());
        PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        Document doc = read(in);
        Element ed = (Element) doc.getElementsByTagNameNS(XENC, "EncryptedData").item(0);
        XMLCipher cipher = XMLCipher.getInstance();
        cipher.init(XMLCipher.DECRYPT_MODE, null);
        cipher.setKEK(key);
        cipher.doFinal(doc, ed);
        write(doc, out);
    }

    static void encrypt(String certPath, String in, String out, String ns, String local, String suite) throws Exception {
        X509Certificate cert;
        try (java.io.InputStream is = Files.newInputStream(new File(certPath).toPath())) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(is);
        }
        Document doc = read(in);
        Element target = (Element) doc.getElementsByTagNameNS(ns, local).item(0);
        boolean as4 = suite.equals("as4");
        KeyGenerator kg = KeyGenerator.getInstance("AES");
        kg.init(as4 ? 128 : 256);
        SecretKey cek = kg.generateKey();

        XMLCipher keyCipher = as4
            ? XMLCipher.getInstance(XMLCipher.RSA_OAEP_11, null, SHA256)
            : XMLCipher.getInstance(XMLCipher.RSA_OAEP, null, SHA1);
        keyCipher.init(XMLCipher.WRAP_MODE, cert.getPublicKey());
        EncryptedKey ek = as4
            ? keyCipher.encryptKey(doc, cek, EncryptionConstants.MGF1_SHA256, null)
            : keyCipher.encryptKey(doc, cek);

        XMLCipher dataCipher = XMLCipher.getInstance(as4 ? XMLCipher.AES_128_GCM : XMLCipher.AES_256);
        dataCipher.init(XMLCipher.ENCRYPT_MODE, cek);
        EncryptedData ed = dataCipher.getEncryptedData();
        KeyInfo ki = new KeyInfo(doc);
        ki.add(ek);
        ed.setKeyInfo(ki);
        dataCipher.doFinal(doc, target, false);
        write(doc, out);
    }
}
