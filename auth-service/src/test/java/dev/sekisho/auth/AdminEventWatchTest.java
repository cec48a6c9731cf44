package dev.sekisho.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import dev.sekisho.alert.v1.SecuritySignal;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.servers.Ports;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The watch on Keycloak's admin events, against a real Keycloak: what a human admin does in Keycloak (as its admin
 * console does, through the admin API with the master realm's admin) becomes an audit record and an
 * {@code auth.permission.changed} signal naming the change, the roles and the user; a user disabled there is a leaver
 * whose integrations secrets-service is asked to suspend; no password set there reaches a record.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class AdminEventWatchTest {

    private static final String PASSWORD = "Watch-Me-Not-2026-secret";

    @ConfigProperty(name = "sekisho.keycloak.url")
    String keycloakUrl;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realmName;

    private Keycloak consoleAdmin() {
        return KeycloakBuilder.builder().serverUrl(keycloakUrl).realm("master").clientId("admin-cli").username("admin")
                .password(System.getenv().getOrDefault("SEKISHO_KEYCLOAK_ADMIN_PASSWORD", "admin")).build();
    }

    private static String createUser(RealmResource realm, String username) {
        UserRepresentation user = new UserRepresentation();
        user.setUsername(username);
        user.setEnabled(true);
        CredentialRepresentation password = new CredentialRepresentation();
        password.setType(CredentialRepresentation.PASSWORD);
        password.setValue(PASSWORD);
        password.setTemporary(false);
        user.setCredentials(List.of(password));
        try (Response created = realm.users().create(user)) {
            assertEquals(201, created.getStatus());
        }
        return realm.users().search(username, true).get(0).getId();
    }

    @Test
    void aRoleGrantedInKeycloakIsAnAuditRecordAndASignal() {
        String username = "granted-" + Long.toString(System.nanoTime(), 36);
        try (Keycloak admin = consoleAdmin()) {
            RealmResource realm = admin.realm(realmName);
            String id = createUser(realm, username);
            try {
                realm.users().get(id).roles().realmLevel().add(List.of(realm.roles().get("operator").toRepresentation()));

                AuditEvent granted = await(() -> change("role.granted", username), "the grant recorded");
                assertEquals(Outcome.OUTCOME_SUCCESS, granted.getOutcome());
                assertEquals("operator", granted.getAttributesOrDefault("roles", ""));
                assertEquals("user", granted.getResource().getType());
                assertFalse(granted.getActor().getId().isEmpty(), "the admin who granted it");
                assertFalse(granted.getAttributesOrDefault("keycloak_event_id", "").isEmpty());
                SecuritySignal signal = await(() -> FakePeers.SIGNALS.stream().filter(s -> s.getKind().equals("auth.permission.changed")
                        && s.getLabelsOrDefault("change", "").equals("role.granted") && s.getLabelsOrDefault("target", "").equals(username))
                        .findFirst(), "the grant signalled");
                assertEquals("operator", signal.getLabelsOrDefault("roles", ""));
                assertEquals(username, signal.getLabelsOrDefault("user", ""), "the person the change is about, as rules and inhibitions name people");
                assertTrue(signal.getLabelsOrDefault("hour_utc", "").matches("[0-2][0-9]"), "rules can ask for office hours");
                assertFalse(signal.getLabelsOrDefault("actor", "").isEmpty());

                realm.users().get(id).roles().realmLevel().remove(List.of(realm.roles().get("operator").toRepresentation()));
                AuditEvent removed = await(() -> change("role.removed", username), "the removal recorded");
                assertEquals("operator", removed.getAttributesOrDefault("roles", ""));
                await(() -> change("user.created", username), "the user's creation recorded");
            } finally {
                realm.users().delete(id).close();
            }
        }
        assertTrue(FakePeers.AUDIT.stream().noneMatch(e -> e.toString().contains(PASSWORD)), "no password in an audit record");
        assertTrue(FakePeers.SIGNALS.stream().noneMatch(s -> s.toString().contains(PASSWORD)), "no password in a signal");
    }

    @Test
    void aUserDisabledInKeycloakIsALeaverWhoseIntegrationsAreSuspended() {
        String username = "leaver-" + Long.toString(System.nanoTime(), 36);
        try (Keycloak admin = consoleAdmin()) {
            RealmResource realm = admin.realm(realmName);
            String id = createUser(realm, username);
            try {
                UserRepresentation user = realm.users().get(id).toRepresentation();
                user.setEnabled(false);
                realm.users().get(id).update(user);

                AuditEvent disabled = await(() -> change("user.disabled", username), "the disable recorded");
                assertEquals("user", disabled.getResource().getType());
                await(() -> FakePeers.LEAVERS.stream().filter(username::equals).findFirst(), "secrets-service asked to suspend the leaver's integrations");
            } finally {
                realm.users().delete(id).close();
            }
        }
    }

    private static Optional<AuditEvent> change(String change, String username) {
        return FakePeers.AUDIT.stream().filter(e -> e.getAction().equals("auth.permission.changed")
                && e.getAttributesOrDefault("change", "").equals(change) && e.getResource().getId().equals(username)).findFirst();
    }

    /** Admin events are read every second and delivered through the outbox; a loaded machine gets a minute. */
    private static <T> T await(Supplier<Optional<T>> found, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Optional<T> value = found.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within 60 s: " + what);
            }
            Ports.sleep(100);
        }
    }
}
