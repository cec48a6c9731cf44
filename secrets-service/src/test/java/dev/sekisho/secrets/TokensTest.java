package dev.sekisho.secrets;

import static dev.sekisho.secrets.SecretsTest.asAdmin;
import static dev.sekisho.secrets.SecretsTest.asOperator;
import static dev.sekisho.secrets.SecretsTest.auditEventsAfter;
import static dev.sekisho.secrets.SecretsTest.execute;
import static dev.sekisho.secrets.SecretsTest.jdbc;
import static dev.sekisho.secrets.SecretsTest.maxOutboxId;
import static dev.sekisho.secrets.SecretsTest.unique;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Tokenization on real PostgreSQL and Keycloak: stable tokens per namespace, sealed values, expiry, revocation, audit. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class TokensTest {

    private static List<String> tokenize(String namespace, List<String> values) {
        return asOperator().body(Map.of("values", values)).post("/v1/tokens/tokenize/" + namespace).then().statusCode(200)
                .body("tokens", hasSize(values.size())).extract().path("tokens.token");
    }

    @Test
    void aValueKeepsItsTokenInANamespaceAndOnlyDetokenizeRevealsIt() throws Exception {
        String email = unique("alice") + "@example.com";
        List<String> first = tokenize("customers", List.of(email, "+81 90 1234 5678", email));
        assertTrue(first.get(0).matches("tok_[A-Za-z0-9_-]{22}"), first.get(0));
        assertEquals(first.get(0), first.get(2), "the same value, the same token");
        assertNotEquals(first.get(0), first.get(1));
        assertEquals(first.get(0), tokenize("customers", List.of(email)).get(0), "stable across requests");
        String elsewhere = asAdmin().body(Map.of("values", List.of(email))).post("/v1/tokens/tokenize/partners").then().statusCode(200)
                .extract().path("tokens[0].token");
        assertNotEquals(first.get(0), elsewhere, "another namespace, another token");

        long before = maxOutboxId();
        asOperator().body(Map.of("tokens", List.of(first.get(0)))).post("/v1/tokens/detokenize/customers").then().statusCode(403);
        asAdmin().body(Map.of("tokens", List.of(first.get(0), first.get(1)))).post("/v1/tokens/detokenize/customers").then()
                .statusCode(200).body("values[0].value", equalTo(email)).body("values[0].status", equalTo("ok"))
                .body("values[1].value", equalTo("+81 90 1234 5678"));
        asAdmin().body(Map.of("tokens", List.of(first.get(0)))).post("/v1/tokens/detokenize/partners").then().statusCode(200)
                .body("values[0].status", equalTo("unknown"));
        List<AuditEvent> events = auditEventsAfter(before);
        AuditEvent denied = events.stream().filter(e -> e.getOutcome() == Outcome.OUTCOME_DENIED).findFirst().orElseThrow();
        assertEquals("token.detokenize", denied.getAction());
        List<AuditEvent> revealed = events.stream().filter(e -> e.getAction().equals("token.detokenize")
                && e.getOutcome() == Outcome.OUTCOME_SUCCESS).toList();
        assertEquals(2, revealed.size(), "every detokenize call has its record");
        assertEquals(first.get(0) + "," + first.get(1), revealed.get(0).getAttributesMap().get("revealed"));
        for (AuditEvent event : events) {
            assertFalse(event.toString().contains(email), "no value in an audit record");
        }
    }

    @Test
    void theDatabaseHoldsNoValueAndTokensRevealNothing() throws Exception {
        String value = unique("passport-TR1234567");
        String token = tokenize("customers", List.of(value)).get(0);
        assertFalse(token.contains(value));
        try (Connection c = jdbc(); var st = c.prepareStatement("select * from token where token = ?")) {
            st.setString(1, token);
            try (ResultSet rs = st.executeQuery()) {
                assertTrue(rs.next());
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    byte[] cell = rs.getBytes(i);
                    if (cell != null) {
                        assertFalse(new String(cell, StandardCharsets.ISO_8859_1).contains(value), rs.getMetaData().getColumnName(i));
                    }
                }
            }
        }
    }

    @Test
    void revokedAndExpiredTokensRevealNothingAndTheValueGetsANewOne() throws Exception {
        String value = unique("card-holder");
        String token = tokenize("customers", List.of(value)).get(0);
        asOperator().body(Map.of("tokens", List.of(token))).post("/v1/tokens/revoke/customers").then().statusCode(403);
        asAdmin().body(Map.of("tokens", List.of(token))).post("/v1/tokens/revoke/customers").then().statusCode(200)
                .body("revoked", equalTo(1));
        asAdmin().body(Map.of("tokens", List.of(token))).post("/v1/tokens/detokenize/customers").then().statusCode(200)
                .body("values[0].status", equalTo("revoked"));
        assertEquals(0, SecretsTest.count("select count(*) from token where token = '" + token + "' and ciphertext is not null"),
                "a revoked token's sealed value is erased");
        String again = tokenize("customers", List.of(value)).get(0);
        assertNotEquals(token, again);

        String shortLived = asOperator().body(Map.of("values", List.of(value + "-2"), "ttlSeconds", 60))
                .post("/v1/tokens/tokenize/customers").then().statusCode(200).extract().path("tokens[0].token");
        execute("update token set expires_at = now() - interval '1 second' where token = '" + shortLived + "'");
        asAdmin().body(Map.of("tokens", List.of(shortLived))).post("/v1/tokens/detokenize/customers").then().statusCode(200)
                .body("values[0].status", equalTo("expired"));
        assertNotEquals(shortLived, tokenize("customers", List.of(value + "-2")).get(0), "an expired token is retired");
    }

    @Test
    void concurrentTokenizersOfOneValueGetOneToken() throws Exception {
        String value = unique("race");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit((Callable<String>) () -> tokenize("customers", List.of(value)).get(0)));
            }
            String one = results.get(0).get();
            for (Future<String> result : results) {
                assertEquals(one, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badInputIsRefusedAndNothingStored() throws Exception {
        long tokens = SecretsTest.count("select count(*) from token");
        asOperator().body(Map.of("values", List.of())).post("/v1/tokens/tokenize/customers").then().statusCode(400);
        asOperator().body(Map.of("values", List.of("ok", "x".repeat(5000)))).post("/v1/tokens/tokenize/customers").then().statusCode(413);
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            many.add("v" + i);
        }
        asOperator().body(Map.of("values", many)).post("/v1/tokens/tokenize/customers").then().statusCode(413);
        asOperator().body(Map.of("values", List.of("a"), "ttlSeconds", 0)).post("/v1/tokens/tokenize/customers").then().statusCode(400);
        asOperator().body(Map.of("values", List.of("a"))).post("/v1/tokens/tokenize/Customers").then().statusCode(400);
        asOperator().body(Map.of("values", List.of("a"))).post("/v1/tokens/tokenize/partners").then().statusCode(403);
        asAdmin().body(Map.of("tokens", List.of("<script>"))).post("/v1/tokens/detokenize/customers").then().statusCode(400)
                .body("detail", equalTo("every token is tok_ and 22 base64url characters"));
        assertEquals(tokens, SecretsTest.count("select count(*) from token"));
    }
}
