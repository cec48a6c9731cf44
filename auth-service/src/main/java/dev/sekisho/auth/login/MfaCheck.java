package dev.sekisho.auth.login;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.sekisho.auth.config.AuthSettings;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * Whether a user has a TOTP credential, asked of Keycloak's admin API and remembered for
 * {@code sekisho.auth.mfa-cache-ttl}: Keycloak's direct grant only asks users who have one for a code, so this
 * is how auth-service refuses password-only logins when MFA is required.
 */
@ApplicationScoped
public class MfaCheck {

    private final Cache<String, Boolean> known;

    @Inject
    org.keycloak.admin.client.Keycloak admin;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realm;

    @Inject
    public MfaCheck(AuthSettings settings) {
        this.known = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(settings.mfaCacheTtl()).build();
    }

    public Uni<Boolean> hasTotp(String userId) {
        Boolean cached = known.getIfPresent(userId);
        if (cached != null) {
            return Uni.createFrom().item(cached);
        }
        return Uni.createFrom().item(() -> Boolean.TRUE.equals(admin.realm(realm).users().get(userId).toRepresentation().isTotp()))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .ifNoItem().after(Duration.ofSeconds(3)).fail()
                .invoke(has -> known.put(userId, has));
    }

    /** After a change of credentials or a disable, the next login asks Keycloak again. */
    public void forget(String userId) {
        known.invalidate(userId);
    }
}
