package dev.sekisho.auth.peers;

import java.util.Map;

import dev.sekisho.testing.Ports;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Points auth-service's gRPC clients for ratelimit, secrets, audit and alert at in-process fakes of those peers'
 * APIs (see {@link FakePeers}), served by the test instance itself on a port chosen here. The real services meet
 * in integration-tests.
 */
public class FakePeersTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        String port = String.valueOf(Ports.free());
        Map<String, String> config = new java.util.HashMap<>();
        config.put("quarkus.http.test-port", port);
        for (String peer : new String[] {"ratelimit", "secrets", "audit", "alerts"}) {
            // in test mode Quarkus dials a client's test-port, not its port
            config.put("quarkus.grpc.clients." + peer + ".port", port);
            config.put("quarkus.grpc.clients." + peer + ".test-port", port);
        }
        config.put("sekisho.outbox.poll-interval", "1s");
        config.put("sekisho.auth.gateway-rate-policy", "gateway-per-subject");
        config.put("quarkus.log.category.\"dev.sekisho.peers\".level", "DEBUG");
        return config;
    }

    @Override
    public void stop() {
    }
}
