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

    /**
     * Whether the user with this username has TOTP; false for an unknown user. Asked while Keycloak checks the
     * password, so it costs a login no time; fails only when Keycloak's admin API does not answer.
     */
    public Uni<Boolean> hasTotp(String username) {
        String key = username.toLowerCase(java.util.Locale.ROOT);
        Boolean cached = known.getIfPresent(key);
        if (cached != null) {
            return Uni.createFrom().item(cached);
        }
        return Uni.createFrom().item(() -> lookUp(username))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .ifNoItem().after(Duration.ofSeconds(3)).fail()
                .invoke(has -> {
                    if (has != null) {
                        known.put(key, has);
                    }
                })
                .map(has -> Boolean.TRUE.equals(has));
    }

    /** Null for an unknown user (not remembered: the user may be created a moment later). */
    private Boolean lookUp(String username) {
        // one call: an exact search answers full representations, which carry the "totp configured" flag
        var found = admin.realm(realm).users().search(username, true);
        if (found.isEmpty()) {
            return null;
        }
        return Boolean.TRUE.equals(found.get(0).isTotp());
    }

    /** After a change of credentials or a disable, the next login asks Keycloak again. */
    public void forget(String username) {
        known.invalidate(username.toLowerCase(java.util.Locale.ROOT));
    }
}
