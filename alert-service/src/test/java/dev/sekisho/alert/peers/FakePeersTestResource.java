package dev.sekisho.alert.peers;

import java.util.List;
import java.util.Map;

import dev.sekisho.testing.peers.PeersServedHere;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Points alert-service's playbook clients at the in-process fakes of {@link FakePeers}, with a small rate cap. */
public class FakePeersTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = PeersServedHere.config(List.of("ratelimit", "auth", "secrets"));
        config.put("sekisho.alert.playbooks.max-per-minute", "5");
        config.put("sekisho.alert.playbooks.protected-users", "protected-user");
        return config;
    }

    @Override
    public void stop() {
    }
}
