package dev.kafkawasm.oracle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SslAuthenticationContext;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

import javax.net.ssl.SSLSession;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/**
 * Kafka's principal for each client certificate given (PEM files), as a broker's SSL listener
 * with the default principal builder and ssl.principal.mapping.rules (--rules R, default
 * DEFAULT) names it: one JSON line per file, {"file": ..., "principal": "User:..." or null,
 * "error": why none (no rule applies)}. test/e2e/tls-principal.test.ts holds
 * the filter's names against these.
 *
 * With --map: what Kafka's SslPrincipalMapper makes of names under ssl.principal.mapping.rules.
 * Reads JSON lines {"rules": R, "names": [N, ...]} from stdin; writes for each
 * {"rules": R, "error": why Kafka refuses R or null, "names": [{"principal": ... or null,
 * "error": why none or null}, ...]} (test/policy/ssl-principal-rules.test.ts).
 */
public final class TlsPrincipals {
    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--map")) {
            map();
            return;
        }
        // --rules R (first): the broker's ssl.principal.mapping.rules (default DEFAULT).
        String rules = "DEFAULT";
        int first = 0;
        if (args.length >= 2 && args[0].equals("--rules")) { rules = args[1]; first = 2; }
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        DefaultKafkaPrincipalBuilder builder = new DefaultKafkaPrincipalBuilder(null, SslPrincipalMapper.fromRules(rules));
        ObjectMapper json = new ObjectMapper();
        for (String file : java.util.Arrays.copyOfRange(args, first, args.length)) {
            X509Certificate cert;
            try (InputStream in = Files.newInputStream(Path.of(file))) {
                cert = (X509Certificate) x509.generateCertificate(in);
            }
            // The broker's view of the handshake: a session whose peer is this certificate.
            SSLSession session = (SSLSession) Proxy.newProxyInstance(SSLSession.class.getClassLoader(), new Class<?>[] {SSLSession.class},
                (proxy, method, arguments) -> {
                    switch (method.getName()) {
                        case "getPeerPrincipal": return cert.getSubjectX500Principal();
                        case "getPeerCertificates": return new java.security.cert.Certificate[] {cert};
                        default: throw new UnsupportedOperationException(method.getName());
                    }
                });
            ObjectNode line = json.createObjectNode();
            line.put("file", file);
            try {
                KafkaPrincipal principal = builder.build(new SslAuthenticationContext(session, InetAddress.getLoopbackAddress(), "SSL"));
                line.put("principal", principal.toString());
            } catch (RuntimeException e) {
                // No rule applies: the broker fails the client's authentication.
                line.putNull("principal");
                line.put("error", e.toString());
            }
            System.out.println(json.writeValueAsString(line));
        }
    }

    private static void map() throws Exception {
        ObjectMapper json = new ObjectMapper();
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        java.io.PrintStream out = new java.io.PrintStream(System.out, true, "UTF-8");
        for (String text; (text = in.readLine()) != null; ) {
            com.fasterxml.jackson.databind.JsonNode ask = json.readTree(text);
            ObjectNode line = json.createObjectNode();
            String rules = ask.get("rules").asText();
            line.put("rules", rules);
            SslPrincipalMapper mapper = null;
            try {
                mapper = SslPrincipalMapper.fromRules(rules);
                line.putNull("error");
            } catch (RuntimeException e) {
                line.put("error", e.toString());
            }
            com.fasterxml.jackson.databind.node.ArrayNode names = line.putArray("names");
            for (com.fasterxml.jackson.databind.JsonNode n : ask.get("names")) {
                ObjectNode r = names.addObject();
                if (mapper == null) { r.putNull("principal"); r.put("error", "rules refused"); continue; }
                try {
                    r.put("principal", mapper.getName(n.asText()));
                    r.putNull("error");
                } catch (Exception e) {
                    r.putNull("principal");
                    r.put("error", e.toString());
                }
            }
            out.println(json.writeValueAsString(line));
        }
    }
}
