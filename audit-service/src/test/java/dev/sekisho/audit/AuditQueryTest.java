package dev.sekisho.audit;

import static dev.sekisho.audit.AuditIngestTest.event;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.Actor;
import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.audit.v1.AuditIngestGrpc;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Finding records: filters, newest first, cursor pages, one record, NDJSON and CSV export. */
@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class AuditQueryTest {

    @TestHTTPResource("/")
    URL url;

    @Test
    void filtersPagesNewestFirstAndExports() {
        String actor = "user-" + UUID.randomUUID();
        var channel = Callers.asService(url);
        List<Long> seqs = new ArrayList<>();
        try {
            var ingest = AuditIngestGrpc.newBlockingStub(channel);
            for (int i = 0; i < 5; i++) {
                String action = i % 2 == 0 ? "auth.login.failed" : "secret.read";
                seqs.add(ingest.record(event(action).toBuilder()
                        .setActor(Actor.newBuilder().setType(ActorType.ACTOR_TYPE_USER).setId(actor)).build()).getSequence());
            }
        } finally {
            channel.shutdownNow();
        }

        Callers.asAuditor().queryParam("actor", actor).queryParam("limit", 2).get("/v1/audit/events").then().statusCode(200)
                .body("events.seq", contains(seqs.get(4).intValue(), seqs.get(3).intValue()))
                .body("nextCursor", equalTo(seqs.get(3).intValue()));
        Callers.asAuditor().queryParam("actor", actor).queryParam("limit", 2).queryParam("cursor", seqs.get(1)).get("/v1/audit/events").then()
                .body("events.seq", contains(seqs.get(0).intValue())).body("nextCursor", nullValue());
        Callers.asAuditor().queryParam("actor", actor).queryParam("action", "auth").get("/v1/audit/events").then()
                .body("events", hasSize(3)).body("events.action", everyItem(equalTo("auth.login.failed")));
        Callers.asAuditor().queryParam("actor", actor).queryParam("action", "aut").get("/v1/audit/events").then()
                .body("events", hasSize(0));

        String id = Callers.asAuditor().queryParam("actor", actor).get("/v1/audit/events").then().extract().path("events[0].eventId");
        Callers.asAuditor().get("/v1/audit/events/" + id).then().statusCode(200).body("actor.id", equalTo(actor));
        Callers.asAuditor().get("/v1/audit/events/" + UUID.randomUUID()).then().statusCode(404).contentType("application/problem+json");
        Callers.asAuditor().get("/v1/audit/events/not-a-uuid").then().statusCode(400);
        Callers.asAuditor().queryParam("limit", 100_000).get("/v1/audit/events").then().statusCode(400);
        Callers.asAuditor().queryParam("from", "yesterday").get("/v1/audit/events").then().statusCode(400);

        String ndjson = Callers.asAuditor().queryParam("actor", actor).get("/v1/audit/export/ndjson").then().statusCode(200).extract().asString();
        assertEquals(5, ndjson.lines().count());
        assertTrue(ndjson.lines().allMatch(l -> l.startsWith("{\"seq\":")), ndjson);
        String csv = Callers.asAuditor().queryParam("actor", actor).get("/v1/audit/export/csv").then()
                .statusCode(200).extract().asString();
        assertEquals(6, csv.lines().count());
        assertTrue(csv.startsWith("seq,event_id,"), csv);
    }
}
