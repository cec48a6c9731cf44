package dev.sekisho.common.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class PublishedSecretsTest {

    private static final List<String> REQUIRED = List.of("sekisho.service.client-secret", "quarkus.datasource.password");

    @Test
    void unsetAndPublishedSecretsAreNamedByTheirEnvironmentVariable() {
        List<String> problems = PublishedSecrets.problems(REQUIRED,
                name -> Optional.ofNullable(Map.of("sekisho.service.client-secret", "svc-audit-dev-secret").get(name)));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("SEKISHO_SERVICE_CLIENT_SECRET") && problems.get(0).contains("published"));
        assertTrue(problems.get(1).contains("QUARKUS_DATASOURCE_PASSWORD") && problems.get(1).contains("unset"));
        assertFalse(String.join(" ", problems).contains("svc-audit-dev-secret"), "the value itself is never printed");
    }

    @Test
    void secretsOfYourOwnPass() {
        assertEquals(List.of(), PublishedSecrets.problems(REQUIRED, name -> Optional.of("s3cr3t-" + name.hashCode() + "-x9Qp")));
    }

    @Test
    void everyPublishedValueAndUnresolvedPlaceholderIsKnown() {
        for (String value : List.of("sekisho", "Admin", "svc-future-dev-secret", "${SEKISHO_SVC_AUTH_SECRET}", " postgres ")) {
            assertFalse(PublishedSecrets.problems(List.of("x"), name -> Optional.of(value)).isEmpty(), value);
        }
        assertEquals(List.of(), PublishedSecrets.problems(List.of("x"), name -> Optional.of("a-real-secret-Zk2")));
    }
}
