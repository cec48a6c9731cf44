package dev.sekisho.auth.health;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.rest.client.inject.RestClient;

import dev.sekisho.auth.client.KeycloakDiscoveryClient;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/** Ready only when Keycloak serves the realm's discovery document: without it no login can succeed. */
@Readiness
@ApplicationScoped
public class KeycloakReadinessCheck implements AsyncHealthCheck {

    private static final String NAME = "keycloak";

    @Inject
    @RestClient
    KeycloakDiscoveryClient keycloak;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realm;

    @Override
    public Uni<HealthCheckResponse> call() {
        return keycloak.discovery(realm)
                .ifNoItem().after(Duration.ofSeconds(3)).fail()
                .map(document -> HealthCheckResponse.named(NAME).up()
                        .withData("issuer", String.valueOf(document.get("issuer"))).build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named(NAME).down()
                        .withData("reason", e.getClass().getSimpleName()).build());
    }
}
