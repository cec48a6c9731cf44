package dev.sekisho.alert;

import static dev.sekisho.alert.AlertTesting.asAuditor;
import static dev.sekisho.alert.AlertTesting.asOperator;
import static dev.sekisho.alert.AlertTesting.channel;
import static dev.sekisho.alert.AlertTesting.eventually;
import static dev.sekisho.alert.AlertTesting.signal;
import static dev.sekisho.alert.AlertTesting.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.standardwebhooks.Webhook;

import dev.sekisho.alert.v1.AlertsGrpc;
import dev.sekisho.alert.v1.SignalAck;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.grpc.ManagedChannel;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Notifications to a real HTTP receiver: grouped and sent once, signed as Standard Webhooks' own library verifies,
 * sent again after repeat_interval, escalated step by step until acknowledged, held by silences and inhibitions,
 * Alertmanager's body for Alertmanager's receivers, never sent to private addresses that are not allow-listed, and a
 * receiver that answers 410 Gone disabled.
 */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(WebhookReceiver.class)
class NotificationsTest {

    static final ObjectMapper JSON = new ObjectMapper();

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

    private SignalAck fail(String kase, String item) {
        return alerts.signal(signal("integration.failed", Map.of("case", kase, "item", item)));
    }

    private SignalAck failCritical(String kase, String item) {
        return alerts.signal(signal("integration.failed", Map.of("case", kase, "item", item, "critical", "yes")));
    }

    /** The notifications a path received whose alerts carry the case label. */
    static List<JsonNode> received(String path, String kase) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (WebhookReceiver.Received r : WebhookReceiver.on(path)) {
            if (r.body().contains("\"" + kase + "\"")) {
                out.add(JSON.readTree(r.body()));
            }
        }
        return out;
    }

    static List<WebhookReceiver.Received> raw(String path, String kase) {
        return WebhookReceiver.on(path).stream().filter(r -> r.body().contains(kase)).toList();
    }

    static Map<String, List<String>> headers(WebhookReceiver.Received r) {
        return new HashMap<>(r.headers());
    }

    @Test
    void fiveFailedLoginsAreOneNotificationSignedAsStandardWebhooksVerifies() throws Exception {
        String user = unique("notified");
        ManagedChannel auth = channel(url, KeycloakTokens.service("auth"));
        try {
            for (int i = 0; i < 7; i++) {
                AlertsGrpc.newBlockingStub(auth).signal(signal("auth.login.failed", Map.of("user", user, "ip", "198.51.100.3")));
            }
        } finally {
            auth.shutdownNow();
        }
        assertTrue(eventually(30, () -> raw("/hook", user).size() == 1), "delivered");
        Thread.sleep(2500);
        List<WebhookReceiver.Received> got = raw("/hook", user);
        assertEquals(1, got.size(), "delivered once");
        WebhookReceiver.Received r = got.get(0);
        // Standard Webhooks' reference library, not our code, checks the signature with each secret of the rotation
        String secret = ConfigProvider.getConfig().getValue("sekisho.test.webhook-secret", String.class);
        String old = ConfigProvider.getConfig().getValue("sekisho.test.webhook-secret-old", String.class);
        new Webhook(secret).verify(r.body(), headers(r));
        new Webhook(old).verify(r.body(), headers(r));
        assertEquals(2, r.headers().get("webhook-signature").get(0).split(" ").length, "one signature per secret");
        assertThrows(() -> new Webhook("whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24])).verify(r.body(), headers(r)));
        JsonNode body = JSON.readTree(r.body());
        assertEquals("sekisho.alert.group", body.path("type").asText());
        assertEquals("firing", body.path("data").path("status").asText());
        assertEquals(1, body.path("data").path("alerts").size());
        assertEquals(user, body.path("data").path("groupLabels").path("user").asText());
        String webhookId = r.headers().get("webhook-id").get(0);
        asAuditor().get("/v1/notifications?receiver=hook&limit=500").then().statusCode(200)
                .body("notifications.find { it.webhookId == '" + webhookId + "' }.status", equalTo("delivered"));
    }

    @Test
    void alertsOfOneGroupGoTogetherAndAgainAfterTheRepeatInterval() throws Exception {
        String kase = unique("group");
        fail(kase, "1");
        fail(kase, "2");
        fail(kase, "3");
        assertTrue(eventually(30, () -> received("/hook", kase).size() >= 1));
        JsonNode first = received("/hook", kase).get(0);
        assertEquals(3, first.path("data").path("alerts").size(), "the three alerts of the group, in one notification");
        long firstAt = raw("/hook", kase).get(0).atMillis();
        assertTrue(eventually(40, () -> received("/hook", kase).size() >= 2), "sent again while firing");
        long secondAt = raw("/hook", kase).get(1).atMillis();
        assertTrue(secondAt - firstAt >= 5_500, "not before repeat_interval (6 s): " + (secondAt - firstAt) + " ms");
        assertEquals(3, received("/hook", kase).get(1).path("data").path("alerts").size());
        // a resolved alert is sent as resolved
        List<String> ids = new ArrayList<>();
        first.path("data").path("alerts").forEach(a -> ids.add(a.path("id").asText()));
        asOperator().body("{}").post("/v1/alerts/" + ids.get(0) + "/resolve").then().statusCode(200);
        assertTrue(eventually(30, () -> received("/hook", kase).stream().anyMatch(n -> n.toString().contains("\"resolved\""))));
    }

    @Test
    void escalationFollowsItsStepsAndStopsWhenAcknowledged() throws Exception {
        String kase = unique("esc");
        SignalAck fired = fail(kase, "1");
        String alertId = fired.getAlertIds(0);
        assertTrue(eventually(30, () -> raw("/esc2", kase).size() >= 2), "two rounds of both steps");
        List<WebhookReceiver.Received> first = raw("/esc1", kase);
        List<WebhookReceiver.Received> second = raw("/esc2", kase);
        assertTrue(second.get(0).atMillis() - first.get(0).atMillis() >= 1_500, "step two waits its delay (2 s)");
        assertTrue(first.get(1).atMillis() - second.get(0).atMillis() >= 1_500, "the next round waits repeat_interval (2 s)");
        Thread.sleep(3000);
        assertEquals(2, raw("/esc1", kase).size(), "repeat: 2 rounds, then the escalation ends");
        assertEquals(2, raw("/esc2", kase).size());
        JsonNode step = JSON.readTree(first.get(0).body());
        assertEquals("sekisho.alert.escalation", step.path("type").asText());
        assertEquals(alertId, step.path("data").path("alerts").get(0).path("id").asText());

        // acknowledged well before the second step is due (15 s): the escalation ends at once
        AlertTesting.person(KeycloakTokens.DEMO); // the operator's token first: a login may wait for a one-time code
        String acked = unique("ack");
        String ackedId = fail(acked, "1").getAlertIds(0);
        assertTrue(eventually(30, () -> raw("/esc1", acked).size() == 1));
        asOperator().body("{}").post("/v1/alerts/" + ackedId + "/ack").then().statusCode(200);
        assertEquals(0, AlertTesting.count("select count(*) from escalation where alert_id = ?::uuid", ackedId), "the escalation ended");
        Thread.sleep(16_000);
        assertEquals(0, raw("/esc2", acked).size(), "acknowledged: no further step");
        assertEquals(1, raw("/esc1", acked).size());
    }

    @Test
    void aSilenceHoldsNotificationsUntilItEnds() throws Exception {
        String kase = unique("sil");
        String id = asOperator().body(Map.of("matchers", List.of("case=\"" + kase + "\""), "endsAt", Instant.now().plusSeconds(600).toString(),
                "comment", "maintenance")).post("/v1/silences").then().statusCode(200).extract().path("id");
        asAuditor().body(Map.of("matchers", List.of("case=\"x\""), "endsAt", Instant.now().plusSeconds(60).toString()))
                .post("/v1/silences").then().statusCode(403);
        asOperator().body(Map.of("matchers", List.of("case=x"), "endsAt", Instant.now().plusSeconds(60).toString()))
                .post("/v1/silences").then().statusCode(400);
        fail(kase, "1");
        Thread.sleep(4000);
        assertEquals(0, raw("/hook", kase).size(), "silenced");
        asAuditor().get("/v1/silences").then().statusCode(200).body("silences.id", hasItem(id));
        asOperator().delete("/v1/silences/" + id).then().statusCode(204);
        assertTrue(eventually(30, () -> raw("/hook", kase).size() == 1), "sent once the silence ended");
    }

    @Test
    void aCriticalAlertInhibitsTheLesserOneOfTheSameCase() throws Exception {
        String kase = unique("inh");
        failCritical(kase, "source");
        fail(kase, "target");
        assertTrue(eventually(30, () -> received("/hook", kase).size() >= 1));
        Thread.sleep(2000);
        for (JsonNode n : received("/hook", kase)) {
            for (JsonNode a : n.path("data").path("alerts")) {
                assertEquals("source", a.path("labels").path("item").asText(), "the inhibited alert is not sent: " + n);
            }
        }
    }

    @Test
    void alertmanagersBodyAndChatText() throws Exception {
        String kase = unique("am");
        fail(kase, "1");
        assertTrue(eventually(30, () -> received("/am", kase).size() == 1));
        JsonNode am = received("/am", kase).get(0);
        assertEquals("4", am.path("version").asText());
        assertEquals("firing", am.path("status").asText());
        assertEquals("am-hook", am.path("receiver").asText());
        JsonNode alert = am.path("alerts").get(0);
        assertEquals("Test notification", alert.path("labels").path("alertname").asText());
        assertEquals(kase, alert.path("labels").path("case").asText());
        assertEquals("0001-01-01T00:00:00Z", alert.path("endsAt").asText());
        assertTrue(alert.hasNonNull("fingerprint") && alert.hasNonNull("startsAt"));

        String chat = unique("chat");
        fail(chat, "1");
        assertTrue(eventually(30, () -> raw("/chat", chat).size() == 1));
        JsonNode text = JSON.readTree(raw("/chat", chat).get(0).body());
        assertTrue(text.path("text").asText().startsWith("[FIRING]"), text.toString());
    }

    @Test
    void anEmailReceiverSendsThroughARealSmtpServer() throws Exception {
        String kase = unique("mail");
        fail(kase, "1");
        // the two recipients' copies are two deliveries to the server, which may arrive a moment apart
        assertTrue(eventually(30, () -> java.util.Arrays.stream(WebhookReceiver.smtp.getReceivedMessages())
                .filter(m -> com.icegreen.greenmail.util.GreenMailUtil.getBody(m).contains(kase)).count() >= 2), "delivered by SMTP");
        Thread.sleep(1000); // a third copy, were one sent, would arrive with them
        var messages = java.util.Arrays.stream(WebhookReceiver.smtp.getReceivedMessages())
                .filter(m -> com.icegreen.greenmail.util.GreenMailUtil.getBody(m).contains(kase)).toList();
        assertEquals(2, messages.size(), "one copy for each of the two recipients");
        assertTrue(messages.get(0).getSubject().startsWith("[FIRING] 1 alert(s): Test notification"), messages.get(0).getSubject());
        assertEquals("sekisho-alerts@localhost", messages.get(0).getFrom()[0].toString());
    }

    @Test
    void privateAddressesAreNeverReachedUnlessAllowListed() throws Exception {
        String kase = unique("ssrf");
        fail(kase, "1");
        for (String receiver : List.of("ssrf-loopback", "ssrf-private", "ssrf-metadata", "ssrf-v6", "ssrf-name")) {
            assertTrue(eventually(30, () -> "refused".equals(given().auth().oauth2(AlertTesting.person(KeycloakTokens.AUDITOR))
                    .get("/v1/notifications?receiver=" + receiver).then().extract().path("notifications[0].status"))), receiver);
        }
        asAuditor().get("/v1/notifications?receiver=ssrf-metadata").then()
                .body("notifications[0].lastError", org.hamcrest.Matchers.containsString("private, loopback or link-local"));
        assertEquals(0, WebhookReceiver.on("/ssrf").size(), "nothing reached the loopback receiver");
    }

    @Test
    void aReceiverThatAnswersGoneIsDisabled() throws Exception {
        String kase = unique("gone");
        fail(kase, "1");
        assertTrue(eventually(30, () -> WebhookReceiver.on("/gone").size() == 1));
        assertTrue(eventually(30, () -> ((List<?>) asAuditor().get("/v1/receivers/disabled").then().extract().path("disabled"))
                .contains("gone-hook")));
        fail(kase, "2");
        assertTrue(eventually(30, () -> "gone".equals(asAuditor().get("/v1/notifications?receiver=gone-hook").then().extract()
                .path("notifications[0].status")) && ((List<?>) asAuditor().get("/v1/notifications?receiver=gone-hook").then().extract()
                .path("notifications")).size() == 2));
        assertEquals(1, WebhookReceiver.on("/gone").size(), "a disabled receiver is not called again");
        asOperator().delete("/v1/receivers/disabled/gone-hook").then().statusCode(403);
    }

    private static void assertThrows(org.junit.jupiter.api.function.Executable executable) {
        org.junit.jupiter.api.Assertions.assertThrows(Exception.class, executable);
    }
}
