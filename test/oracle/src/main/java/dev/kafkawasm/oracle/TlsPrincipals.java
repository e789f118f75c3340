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
 * with the default principal builder and ssl.principal.mapping.rules=DEFAULT names it: one JSON
 * line per file, {"file": ..., "principal": "User:..."}. test/e2e/tls-principal.test.ts holds
 * the filter's names against these.
 */
public final class TlsPrincipals {
    public static void main(String[] args) throws Exception {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        DefaultKafkaPrincipalBuilder builder = new DefaultKafkaPrincipalBuilder(null, SslPrincipalMapper.fromRules("DEFAULT"));
        ObjectMapper json = new ObjectMapper();
        for (String file : args) {
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
            KafkaPrincipal principal = builder.build(new SslAuthenticationContext(session, InetAddress.getLoopbackAddress(), "SSL"));
            ObjectNode line = json.createObjectNode();
            line.put("file", file);
            line.put("principal", principal.toString());
            System.out.println(json.writeValueAsString(line));
        }
    }
}
