package dev.sekisho.alert.peers;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Serves the fakes of {@link FakePeers} on a gRPC server of their own and points alert-service's playbook clients at
 * it, with a small rate cap and a protected user.
 */
public class FakePeersTestResource implements QuarkusTestResourceLifecycleManager {

    private Server server;

    @Override
    public Map<String, String> start() {
        try {
            server = ServerBuilder.forPort(0).addService(new FakePeers.FakeRateLimiter()).addService(new FakePeers.FakeAuth())
                    .addService(new FakePeers.FakeSecrets()).build().start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> config = new HashMap<>();
        for (String peer : List.of("ratelimit", "auth", "secrets")) {
            config.put("quarkus.grpc.clients." + peer + ".host", "127.0.0.1");
            config.put("quarkus.grpc.clients." + peer + ".port", String.valueOf(server.getPort()));
            config.put("quarkus.grpc.clients." + peer + ".test-port", String.valueOf(server.getPort()));
        }
        config.put("sekisho.alert.playbooks.max-per-minute", "5");
        config.put("sekisho.alert.playbooks.protected-users", "protected-user");
        return config;
    }

    @Override
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }
}
