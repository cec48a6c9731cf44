package dev.sekisho.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.sun.net.httpserver.HttpServer;

/**
 * A security team's webhook endpoint in the tests' JVM, where the suite's alert-service sends high and critical alerts
 * (src/test/resources/alert-routing): it keeps each notification whose Standard Webhooks signature holds under the
 * secret the suite was given, and answers 401 to any other.
 */
final class SecurityTeamWebhook {

    /** A notification as received and verified: its webhook-id and body. */
    record Notification(String id, String body) {
    }

    private final HttpServer server;
    private final byte[] key = new byte[32];
    private final List<Notification> received = new ArrayList<>();
    private int refused;

    SecurityTeamWebhook() {
        new SecureRandom().nextBytes(key);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String id = exchange.getRequestHeaders().getFirst("webhook-id");
                boolean authentic = signed(id, exchange.getRequestHeaders().getFirst("webhook-timestamp"), body,
                        exchange.getRequestHeaders().getFirst("webhook-signature"));
                synchronized (this) {
                    if (authentic) {
                        received.add(new Notification(id, body));
                    } else {
                        refused++;
                    }
                }
                exchange.sendResponseHeaders(authentic ? 200 : 401, -1);
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/security-team";
    }

    /** The secret as alert-service is configured with it ({@code whsec_} and base64). */
    String secret() {
        return "whsec_" + Base64.getEncoder().encodeToString(key);
    }

    synchronized List<Notification> received() {
        return List.copyOf(received);
    }

    synchronized int refused() {
        return refused;
    }

    /** Standard Webhooks: one of the space-separated {@code v1,<base64>} is HMAC-SHA256 of {@code id.timestamp.body}. */
    private boolean signed(String id, String timestamp, String body, String signatures) {
        if (id == null || timestamp == null || signatures == null) {
            return false;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] expected = mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
            for (String signature : signatures.split(" ")) {
                if (signature.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(signature.substring(3)))) {
                    return true;
                }
            }
            return false;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }
}
