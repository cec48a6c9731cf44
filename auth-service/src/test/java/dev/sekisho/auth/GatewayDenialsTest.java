package dev.sekisho.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.sekisho.audit.v1.AuditEvent;
import dev.sekisho.auth.peers.FakePeers;
import dev.sekisho.auth.peers.FakePeersTestResource;
import dev.sekisho.auth.service.GatewayDenials;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Anyone who reaches ext_authz can send it denials by the thousand: they are recorded once per kind and interval with
 * a count, the address the caller claims is recorded as claimed, and no query string reaches a record.
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
@WithTestResource(FakePeersTestResource.class)
class GatewayDenialsTest {

    private static final String CLAIMED = "203.0.113.9";

    @TestHTTPResource
    URL url;

    @Inject
    GatewayDenials denials;

    @Test
    void aFloodOfDenialsIsOneRecordPerIntervalWithItsCount() {
        String route = "/flood-" + UUID.randomUUID();
        ManagedChannel channel = ManagedChannelBuilder.forAddress(url.getHost(), url.getPort()).usePlaintext().build();
        try {
            var authz = AuthorizationGrpc.newBlockingStub(channel);
            for (int i = 0; i < 150; i++) {
                assertEquals(401, authz.check(check(route + "?access_token=query-secret-" + i + "#frag")).getDeniedResponse()
                        .getStatus().getCodeValue());
            }
            FakePeers.await(() -> recorded(route).size() == 1, "the first denial recorded at once");
            AuditEvent first = recorded(route).get(0);
            assertEquals("1", first.getAttributesMap().get("count"));
            assertEquals(CLAIMED, first.getAttributesMap().get("claimed_source_ip"), "the claim, as an attribute");
            assertEquals("127.0.0.1", first.getActor().getIp(), "the actor's address is the connection's, not the claim");

            denials.closeInterval().await().indefinitely();
            FakePeers.await(() -> recorded(route).size() == 2, "the interval's summary recorded");
            List<AuditEvent> records = recorded(route);
            assertEquals(150, records.stream().mapToLong(e -> Long.parseLong(e.getAttributesMap().get("count"))).sum());
            assertTrue(records.stream().noneMatch(e -> e.toString().contains("query-secret") || e.toString().contains("frag")),
                    "no query string or fragment in any record");
            FakePeers.await(() -> FakePeers.SIGNALS.stream().anyMatch(s -> s.getKind().equals("auth.check.denied.burst")
                    && route.equals(s.getLabelsMap().get("route"))), "a burst signalled");

            // a new interval starts with a record at once again
            authz.check(check(route));
            FakePeers.await(() -> recorded(route).size() == 3, "the next interval's first denial recorded at once");
            assertFalse(recorded(route).get(2).getResource().getId().contains("?"));
        } finally {
            channel.shutdownNow();
        }
    }

    private static List<AuditEvent> recorded(String route) {
        return FakePeers.AUDIT.stream().filter(e -> e.getAction().equals("auth.check.denied")
                && e.getResource().getId().equals(route)).toList();
    }

    private static CheckRequest check(String path) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setSource(AttributeContext.Peer.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress(CLAIMED).setPortValue(40000))))
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath(path)))).build();
    }
}
