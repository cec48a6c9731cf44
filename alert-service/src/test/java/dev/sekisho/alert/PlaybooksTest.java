package dev.sekisho.alert;

import static dev.sekisho.alert.AlertTesting.asAuditor;
import static dev.sekisho.alert.AlertTesting.auditEventsAfter;
import static dev.sekisho.alert.AlertTesting.channel;
import static dev.sekisho.alert.AlertTesting.count;
import static dev.sekisho.alert.AlertTesting.eventually;
import static dev.sekisho.alert.AlertTesting.maxOutboxId;
import static dev.sekisho.alert.AlertTesting.signal;
import static dev.sekisho.alert.AlertTesting.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.sekisho.alert.peers.FakePeers;
import dev.sekisho.alert.peers.FakePeersTestResource;
import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.ratelimit.v1.IdentityType;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Playbooks against in-process fakes of the peers' APIs (the real ratelimit-service's block is in integration-tests):
 * each action carried out once when its alert opens, recorded on the alert and audited; dry runs, protected targets and
 * the peer's refusal recorded as such; a flood held to the rate cap.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class PlaybooksTest {

    @TestHTTPResource("/")
    java.net.URL url;

    private ManagedChannel channel;
    private AlertsGrpc.AlertsBlockingStub alerts;

    @BeforeEach
    void connect() {
        channel = channel(url, KeycloakTokens.service("auth"));
        alerts = AlertsGrpc.newBlockingStub(channel);
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    /** The playbook rule's alert for a case (the signal also fires the notification tests' rule). */
    static String playbookAlert(String kase) throws Exception {
        try (var c = AlertTesting.jdbc(); var st = c.prepareStatement("select id from alert where rule_id = 'test-playbook' and labels->>'case' = ?")) {
            st.setString(1, kase);
            try (var rs = st.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    static long actions(String alertId, String status) throws Exception {
        return count("select count(*) from alert_action where alert_id = ?::uuid and status = ?", alertId, status);
    }

    @Test
    void aNewAlertsPlaybookIsCarriedOutOnceRecordedAndAudited() throws Exception {
        String kase = unique("pb");
        String user = unique("intruder");
        String key = unique("key");
        long outbox = maxOutboxId();
        alerts.signal(signal("integration.failed", Map.of("case", kase, "ip", "203.0.113.77", "user", user, "key_id", key)));
        String alertId = playbookAlert(kase);
        assertEquals(4, count("select count(*) from alert_action where alert_id = ?::uuid", alertId), "the rule's four actions recorded");
        assertTrue(eventually(30, () -> actions(alertId, "pending") == 0), "every action settled");
        assertEquals(3, actions(alertId, "done"));
        assertEquals(1, actions(alertId, "dry-run"), "the dry run only recorded");
        assertEquals(1, FakePeers.BLOCKS.stream().filter(b -> b.getIdentity().getValue().equals("203.0.113.77")
                && b.getIdentity().getType() == IdentityType.IDENTITY_TYPE_IP && b.getDuration().getSeconds() == 600).count());
        assertEquals(0, FakePeers.BLOCKS.stream().filter(b -> b.getIdentity().getValue().equals(user)).count(), "nothing for the dry run");
        assertEquals(1, FakePeers.DISABLED.stream().filter(d -> d.getUser().equals(user)).count());
        assertEquals(1, FakePeers.REVOKED.stream().filter(r -> r.getKeyId().equals(key)).count());
        assertTrue(FakePeers.REVOKED.stream().filter(r -> r.getKeyId().equals(key)).findFirst().orElseThrow().getReason()
                .contains(alertId), "the peer is told which alert asked");

        // the same signal again, and the alert firing again, carry nothing out twice
        alerts.signal(signal("integration.failed", Map.of("case", kase, "ip", "203.0.113.77", "user", user, "key_id", key)));
        Thread.sleep(2000);
        assertEquals(1, FakePeers.DISABLED.stream().filter(d -> d.getUser().equals(user)).count());

        List<String> statuses = asAuditor().get("/v1/alerts/" + alertId).then().statusCode(200).extract().path("actions.status");
        assertEquals(List.of("done", "done", "done", "dry-run"), statuses);
        List<AuditEvent> audited = auditEventsAfter(outbox).stream().filter(e -> e.getAction().startsWith("alert.playbook.")).toList();
        assertEquals(4, audited.size(), "each action audited: " + audited.stream().map(AuditEvent::getAction).toList());
        assertTrue(audited.stream().allMatch(e -> e.getOutcome() == Outcome.OUTCOME_SUCCESS));
        assertTrue(audited.stream().anyMatch(e -> e.getAction().equals("alert.playbook.disable_user")
                && e.getAttributesOrThrow("target").equals(user)));
    }

    @Test
    void protectedTargetsAndThePeersRefusalAreRecorded() throws Exception {
        String kase = unique("pb");
        alerts.signal(signal("integration.failed", Map.of("case", kase, "ip", "127.0.0.1", "user", FakePeers.ADMIN,
                "key_id", unique("key"))));
        String alertId = playbookAlert(kase);
        assertTrue(eventually(30, () -> actions(alertId, "pending") == 0));
        assertEquals(2, actions(alertId, "refused"), "a protected address, and the admin auth-service refuses");
        assertEquals(0, FakePeers.BLOCKS.stream().filter(b -> b.getIdentity().getValue().equals("127.0.0.1")).count());
        String svc = unique("pb");
        alerts.signal(signal("integration.failed", Map.of("case", svc, "ip", "203.0.113.78", "user", "service-account-svc-auth",
                "key_id", unique("key"))));
        String second = playbookAlert(svc);
        assertTrue(eventually(30, () -> actions(second, "pending") == 0));
        assertEquals(0, FakePeers.DISABLED.stream().filter(d -> d.getUser().startsWith("service-account-")).count(),
                "service accounts are never a target");
        String bare = unique("pb");
        alerts.signal(signal("integration.failed", Map.of("case", bare)));
        String noTarget = playbookAlert(bare);
        assertTrue(eventually(30, () -> actions(noTarget, "pending") == 0));
        assertEquals(4, actions(noTarget, "skipped"), "an alert without the target's label skips the action");
    }

    @Test
    void aFloodIsHeldToTheRateCap() throws Exception {
        String flood = unique("flood");
        for (int i = 0; i < 15; i++) {
            alerts.signal(signal("integration.failed", Map.of("case", flood, "user", flood + "-user" + i)));
        }
        assertTrue(eventually(60, () -> count("select count(*) from alert_action a join alert l on l.id = a.alert_id "
                + "where l.labels->>'case' = ? and a.status = 'pending'", flood) == 0));
        long done = count("select count(*) from alert_action a join alert l on l.id = a.alert_id where l.labels->>'case' = ? and a.status = 'done'",
                flood);
        long capped = count("select count(*) from alert_action a join alert l on l.id = a.alert_id where l.labels->>'case' = ? and a.status = 'capped'",
                flood);
        assertTrue(done <= 5 && done >= 1, "at most max-per-minute carried out: " + done);
        assertEquals(15, done + capped);
        assertEquals(done, FakePeers.BLOCKS.stream().filter(b -> b.getIdentity().getValue().startsWith(flood)).count());
    }
}
