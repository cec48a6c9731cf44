package dev.sekisho.testing.peers;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sekisho.testing.servers.Ports;

/**
 * A service's tests meet its peers as in-process fakes of their gRPC APIs ({@code @GrpcService} beans of the test
 * application, the only fakes the suite allows); the real peers meet in integration-tests. This points the named
 * gRPC clients at the test instance's own port, chosen here, so that the fakes receive the calls.
 */
public final class PeersServedHere {

    private PeersServedHere() {
    }

    /** Configuration for a test resource or profile: the test port, and each client dialling it. */
    public static Map<String, String> config(List<String> peers) {
        String port = String.valueOf(Ports.free());
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.http.test-port", port);
        for (String peer : peers) {
            // in test mode Quarkus dials a client's test-port, not its port
            config.put("quarkus.grpc.clients." + peer + ".port", port);
            config.put("quarkus.grpc.clients." + peer + ".test-port", port);
        }
        return config;
    }
}
