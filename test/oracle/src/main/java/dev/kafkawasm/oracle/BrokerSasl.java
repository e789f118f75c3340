package dev.kafkawasm.oracle;

import org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule;
import org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerSaslServer;
import org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.ScramCredentialCallback;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;
import org.apache.kafka.common.security.token.delegation.internals.DelegationTokenCredentialCallback;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.sasl.SaslServer;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/**
 * The user Kafka's SASL servers authenticate from a client's first message, for
 * test/oracle/broker-reads.ts: PLAIN (PlainSaslServer, any password accepted), SCRAM-SHA-256/512
 * (ScramSaslServer's first round, a credential given for whichever user it asks for, and
 * every delegation token owned by "owner-of-" its id) and OAUTHBEARER (OAuthBearerSaslServer with the broker's unsecured
 * validator, claim "sub"). The password or proof is not what is compared: the broker checks it
 * for the user it read, and the filter must take that user.
 *
 * stdin: "MECHANISM base64" per line. stdout: the user's name in base64 (of its UTF-8), or "-"
 * when Kafka refuses the message.
 */
public final class BrokerSasl {
    public static void main(String[] args) throws Exception {
        LineAnswers.run(line -> {
            int space = line.indexOf(' ');
            String user = userOf(line.substring(0, space), Base64.getDecoder().decode(line.substring(space + 1)));
            return user == null ? "-" : Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8));
        });
    }

    private static String userOf(String mechanism, byte[] message) {
        try {
            switch (mechanism) {
                case "PLAIN": {
                    SaslServer server = new PlainSaslServer(accept());
                    server.evaluateResponse(message);
                    return server.isComplete() ? server.getAuthorizationID() : null;
                }
                case "SCRAM-SHA-256":
                case "SCRAM-SHA-512": {
                    SaslServer server = new ScramSaslServer(ScramMechanism.forMechanismName(mechanism), Collections.emptyMap(), accept());
                    server.evaluateResponse(message);
                    // Whom the exchange will authenticate, known after the first round (the
                    // server says so only once the client's proof is in): the user, or a
                    // delegation token's owner.
                    Field id = ScramSaslServer.class.getDeclaredField("authorizationId");
                    id.setAccessible(true);
                    return (String) id.get(server);
                }
                case "OAUTHBEARER": {
                    OAuthBearerUnsecuredValidatorCallbackHandler validator = new OAuthBearerUnsecuredValidatorCallbackHandler();
                    validator.configure(Collections.emptyMap(), "OAUTHBEARER", List.of(new AppConfigurationEntry(
                            OAuthBearerLoginModule.class.getName(), AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, Collections.emptyMap())));
                    SaslServer server = new OAuthBearerSaslServer(validator);
                    byte[] challenge = server.evaluateResponse(message);
                    // A refused token is answered with an error as a challenge, not completed.
                    return server.isComplete() && (challenge == null || challenge.length == 0) ? server.getAuthorizationID() : null;
                }
                default:
                    return null;
            }
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Accepts every PLAIN password, gives a SCRAM credential for whichever user is asked for,
     * and owns every delegation token: its owner is "owner-of-" and the token id.
     */
    private static CallbackHandler accept() {
        ScramCredential any = new ScramCredential(new byte[16], new byte[32], new byte[32], 4096);
        return callbacks -> {
            String name = null;
            for (Callback c : callbacks) {
                if (c instanceof NameCallback) name = ((NameCallback) c).getDefaultName();
            }
            for (Callback c : callbacks) {
                if (c instanceof PlainAuthenticateCallback) {
                    ((PlainAuthenticateCallback) c).authenticated(true);
                } else if (c instanceof DelegationTokenCredentialCallback) {
                    DelegationTokenCredentialCallback t = (DelegationTokenCredentialCallback) c;
                    t.scramCredential(any);
                    t.tokenOwner("owner-of-" + name);
                    t.tokenExpiryTimestamp(Long.MAX_VALUE);
                } else if (c instanceof ScramCredentialCallback) {
                    ((ScramCredentialCallback) c).scramCredential(any);
                }
            }
        };
    }
}
