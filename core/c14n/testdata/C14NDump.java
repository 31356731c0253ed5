// C14NDump canonicalises every element of each file as a document subset
// (Canonicalizer.canonicalizeSubtree of Apache Santuario) and prints one line
// per element in document order: the hex SHA-256 of the canonical octets
// (the subtrees overlap, so printing them whole would be quadratic). Used by
// TestSubtreeInteropSantuario; it is test input, not part of Brevduva.
//
// usage: java -cp xmlsec.jar:... C14NDump.java SPEC[,SPEC...] FILE...
// where SPEC is a method URI, optionally followed by "|" and an InclusiveNamespaces PrefixList.
import java.nio.file.*;
import java.security.MessageDigest;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.xml.security.Init;
import org.apache.xml.security.c14n.Canonicalizer;
import org.w3c.dom.*;

public class C14NDump {
    public static void main(String[] args) throws Exception {
        Init.init();
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        StringBuilder out = new StringBuilder();
        for (String spec : args[0].split(",")) {
          String[] sp = spec.split("\\|", 2);
          String prefixes = sp.length > 1 ? sp[1] : null;
          out.append("SPEC ").append(spec).append('\n');
          for (int i = 1; i < args.length; i++) {
            Document d = f.newDocumentBuilder().parse(Paths.get(args[i]).toFile());
            out.append("FILE ").append(args[i]).append('\n');
            NodeList all = d.getElementsByTagNameNS("*", "*");
            for (int j = 0; j < all.getLength(); j++) {
                // A Canonicalizer keeps state between calls (the apex is
                // only recognised on its first use): one per subtree.
                Canonicalizer c = Canonicalizer.getInstance(sp[0]);
                byte[] b = prefixes == null ? c.canonicalizeSubtree(all.item(j))
                                            : c.canonicalizeSubtree(all.item(j), prefixes);
                byte[] h = MessageDigest.getInstance("SHA-256").digest(b);
                for (byte x : h) out.append(String.format("%02x", x));
                out.append('\n');
            }
          }
        }
        System.out.print(out);
    }
}
