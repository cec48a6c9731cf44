package dev.sekisho.ratelimit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** A policy directory of the test's own, checked for changes every 200 ms, for hot-reload tests. */
public class PolicyDirTestResource implements QuarkusTestResourceLifecycleManager {

    static final String DIR = "sekisho.test.policy-dir";

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory("sekisho-policies");
            Files.writeString(dir.resolve("hot.yaml"), """
                    domain: hot
                    descriptors:
                      - key: k
                        rate_limit: {name: hot-1, unit: minute, requests_per_unit: 1}
                    """);
            System.setProperty(DIR, dir.toString());
            return Map.of("sekisho.ratelimit.policies-dir", dir.toString(), "sekisho.ratelimit.reload-interval", "200ms");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        // a temp directory left behind is harmless
    }

    static Path dir() {
        return Path.of(System.getProperty(DIR));
    }
}
