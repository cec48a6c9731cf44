package dev.sekisho.common.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;

/**
 * No production start with known secrets. Outside the {@code dev}, {@code test} and {@code local} profiles (tests and
 * ./sekisho use those; compose and any other start run {@code prod}), a service refuses to start when one of its
 * {@code sekisho.security.required-secrets} is unset or one of the suite's published development values, and the
 * message names the environment variable to set. Values are never printed.
 */
@ApplicationScoped
public class PublishedSecrets {

    /** Profiles that may run with the published development secrets. */
    public static final Set<String> LOCAL_PROFILES = Set.of("dev", "test", "local");

    /** Values published in this repository (realm file, fixtures, docs) or that anyone would try first. */
    static final Set<String> PUBLISHED = Set.of("sekisho-auth-dev-secret", "svc-auth-dev-secret", "svc-ratelimit-dev-secret",
            "svc-secrets-dev-secret", "svc-audit-dev-secret", "svc-alert-dev-secret", "demo-integration-dev-secret",
            "sekisho", "postgres", "admin", "password", "secret", "changeme", "changeit",
            // secrets-service's development master-key ring and HMAC key (its application.properties)
            "1:gf/pcv/mo/gkh0mshksellahqsox1ke/oi58ugzi3/8=", "wdycyo6gjyvd10j8t7fwkhrmq3qwsjbdd6kfew7gu1c=");

    void refuseKnownSecrets(@Observes @Priority(1) StartupEvent start) {
        if (ConfigUtils.getProfiles().stream().anyMatch(LOCAL_PROFILES::contains)) {
            return;
        }
        Config config = ConfigProvider.getConfig();
        List<String> required = config.getOptionalValues("sekisho.security.required-secrets", String.class).orElse(List.of());
        List<String> problems = problems(required, name -> config.getOptionalValue(name, String.class));
        if (!problems.isEmpty()) {
            String service = config.getOptionalValue("quarkus.application.name", String.class).orElse("this service");
            throw new IllegalStateException(service + " refuses to start in the " + String.join(",", ConfigUtils.getProfiles())
                    + " profile: " + String.join("; ", problems)
                    + ". (The dev, test and local profiles accept the development values; see docs/security.md.)");
        }
    }

    /** What is wrong with each required secret, named by its environment variable; empty when nothing is. */
    static List<String> problems(List<String> required, Function<String, Optional<String>> lookup) {
        List<String> problems = new ArrayList<>();
        for (String name : required) {
            Optional<String> value = lookup.apply(name).map(String::strip);
            if (value.isEmpty() || value.get().isEmpty()) {
                problems.add("set " + environmentName(name) + " (" + name + " is unset)");
            } else if (published(value.get())) {
                problems.add("set " + environmentName(name) + " to a secret of your own (" + name
                        + " is a published development value)");
            }
        }
        return problems;
    }

    static boolean published(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return PUBLISHED.contains(lower) || lower.endsWith("-dev-secret") || value.startsWith("${");
    }

    /** MicroProfile Config's environment name of a property: {@code sekisho.service.client-secret} → SEKISHO_SERVICE_CLIENT_SECRET. */
    static String environmentName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }
}
