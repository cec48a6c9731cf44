package dev.sekisho.auth.peers;

import java.util.List;
import java.util.Map;

import dev.sekisho.testing.peers.PeersServedHere;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points auth-service's gRPC clients for ratelimit, secrets, audit and alert at in-process fakes of those peers'
 * APIs (see {@link FakePeers}), served by the test instance itself on a port chosen here. The real services meet
 * in integration-tests.
 */
public class FakePeersTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = PeersServedHere.config(List.of("ratelimit", "secrets", "audit", "alerts"));
        config.put("sekisho.outbox.poll-interval", "1s");
        // tests of per-address budgets name their address, as a proxy in front of auth-service would
        config.put("sekisho.auth.trusted-proxies", "127.0.0.1");
        // ext_authz's denial intervals end when a test says so (GatewayDenials.closeInterval), not on a clock
        config.put("sekisho.auth.gateway-denials.interval", "1h");
        config.put("sekisho.auth.gateway-rate-policy", "gateway-per-subject");
        // Keycloak's admin events are read every second (5 s in production)
        config.put("sekisho.auth.admin-events.interval", "1s");
        config.put("quarkus.log.category.\"dev.sekisho.peers\".level", "DEBUG");
        return config;
    }

    @Override
    public void stop() {
    }
}
