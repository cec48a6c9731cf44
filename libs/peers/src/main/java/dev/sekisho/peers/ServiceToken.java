package dev.sekisho.peers;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import io.quarkus.oidc.client.OidcClient;
import io.quarkus.oidc.client.Tokens;
import io.smallrye.mutiny.Uni;

/**
 * This service's client-credentials token from Keycloak, attached as {@code authorization: Bearer ...} to every
 * gRPC call to a peer. One token is shared by all calls and fetched again shortly before it expires; a call never
 * waits for Keycloak unless there is no valid token at all.
 */
@ApplicationScoped
public class ServiceToken {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Logger LOG = Logger.getLogger(ServiceToken.class);

    @Inject
    OidcClient keycloak;

    /** How long a fetch from Keycloak may take before the calls waiting for it fail UNAVAILABLE (and the next one asks again). */
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "sekisho.service.token-timeout", defaultValue = "3s")
    Duration fetchTimeout;

    private final AtomicReference<Uni<Tokens>> current = new AtomicReference<>();
    private final CallCredentials credentials = new CallCredentials() {
        @Override
        public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
            accessToken().subscribe().with(token -> {
                Metadata headers = new Metadata();
                headers.put(AUTHORIZATION, "Bearer " + token);
                applier.apply(headers);
            }, failure -> applier.fail(Status.UNAVAILABLE
                    .withDescription("no service token from Keycloak: " + failure.getClass().getSimpleName())));
        }
    };

    /** Fetches the first token at start, so the first peer call does not wait for Keycloak (failure is fine). */
    void warmUp(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent start) {
        accessToken().subscribe().with(token -> LOG.debug("service token ready"), e -> { });
    }

    /** Credentials for a stub: {@code stub.withCallCredentials(serviceToken.credentials())}. */
    public CallCredentials credentials() {
        return credentials;
    }

    /** A valid access token, from memory when the last one is still fresh. */
    public Uni<String> accessToken() {
        Uni<Tokens> tokens = current.get();
        if (tokens == null) {
            Uni<Tokens> fetch = keycloak.getTokens().ifNoItem().after(fetchTimeout).fail().memoize().indefinitely();
            tokens = current.compareAndSet(null, fetch) ? fetch : current.get();
        }
        Uni<Tokens> used = tokens;
        return used.onFailure().invoke(e -> {
            LOG.warnf("service token not obtained: %s", e.getClass().getSimpleName());
            current.compareAndSet(used, null);
        }).flatMap(t -> {
            if (t.isAccessTokenExpired() || t.isAccessTokenWithinRefreshInterval()) {
                current.compareAndSet(used, null);
                return t.isAccessTokenExpired() ? accessToken() : Uni.createFrom().item(t.getAccessToken());
            }
            return Uni.createFrom().item(t.getAccessToken());
        });
    }
}
