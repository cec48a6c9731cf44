package dev.sekisho.peers;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.sekisho.common.security.TokenVerifier;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/**
 * Ready once this service has obtained its own token from Keycloak and its own verifier accepted it: Keycloak's keys
 * are loaded, the revocation list is readable, and calls to peers carry a token. Until then the first request a
 * caller sends would be refused for a reason of the service's own (a token checked before the keys arrived, a peer
 * call without a token), so the service does not say it is ready. Once passed it stays passed: what fails later
 * has answers of its own (503 while the revocation list cannot be read, the peers' fail modes).
 */
@Readiness
@ApplicationScoped
public class TrustReadiness implements AsyncHealthCheck {

    @Inject
    ServiceToken serviceToken;

    @Inject
    TokenVerifier verifier;

    private volatile boolean passed;

    @Override
    public Uni<HealthCheckResponse> call() {
        if (passed) {
            return Uni.createFrom().item(HealthCheckResponse.up("tokens"));
        }
        return serviceToken.accessToken()
                .chain(verifier::verify)
                .ifNoItem().after(Duration.ofSeconds(5)).fail()
                .invoke(() -> passed = true)
                .map(token -> HealthCheckResponse.named("tokens").up().withData("client", token.clientId()).build())
                .onFailure().recoverWithItem(e -> HealthCheckResponse.named("tokens").down()
                        .withData("reason", e.getClass().getSimpleName()).build());
    }
}
