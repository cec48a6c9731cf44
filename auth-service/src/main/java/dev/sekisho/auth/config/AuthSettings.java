package dev.sekisho.auth.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.sekisho.peers.CallPolicy;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Every setting of auth-service ({@code sekisho.auth.*}; environment: {@code SEKISHO_AUTH_*}). */
@ConfigMapping(prefix = "sekisho.auth")
public interface AuthSettings {

    /** The confidential Keycloak client that performs logins (direct grant) and the admin calls. */
    @WithDefault("sekisho-auth")
    String clientId();

    /** Its secret: SEKISHO_AUTH_CLIENT_SECRET (required outside the dev, test and local profiles). Never logged. */
    Optional<String> clientSecret();

    /** How long one Keycloak call may take before the caller gets 503 with Retry-After. */
    @WithDefault("3s")
    Duration keycloakTimeout();

    /**
     * Suite-wide, set in libs/common: a person's token counts only if Keycloak checked a one-time code ({@code otp} in
     * its amr). Every service's TokenVerifier refuses other people's tokens; logins and refreshes here refuse to mint
     * them.
     */
    @WithDefault("true")
    boolean mfaRequired();

    /**
     * Proxies whose X-Forwarded-For is believed (addresses or CIDR blocks). The client address is the last
     * address in X-Forwarded-For that is not a trusted proxy; without trusted proxies the header is ignored.
     */
    Optional<List<String>> trustedProxies();

    /** Login attempt budgets, decided by ratelimit-service. */
    LoginBudget loginBudget();

    /** Access review: users without a successful login for this long are flagged inactive. */
    @WithDefault("90")
    int inactiveDays();

    /** ext_authz: ask ratelimit-service for this policy (keyed by the token's subject) on every allowed request. */
    Optional<String> gatewayRatePolicy();

    /** ext_authz's budget call to ratelimit-service ({@code sekisho.auth.gateway-budget.timeout}, breaker, bulkhead). */
    GatewayBudget gatewayBudget();

    /** ext_authz's API-key checks at secrets-service. */
    ApiKeys apiKeys();

    /** How ext_authz's denials are recorded (one record per kind and interval, with a count). */
    GatewayDenials gatewayDenials();

    /** The watch on Keycloak's admin events (permission and configuration changes). */
    AdminEvents adminEvents();

    interface AdminEvents {
        /** How often Keycloak is asked for the admin events since the last read. */
        @WithDefault("5s")
        Duration interval();

        /** Events read per interval at most; the rest wait for the next. */
        @WithDefault("100")
        int batch();

        /** How far back the very first read (no position kept in Redis yet) looks. */
        @WithDefault("10m")
        Duration backfill();
    }

    interface GatewayDenials {
        /** The interval after whose end the repeated denials of a kind are recorded as one, with their count. */
        @WithDefault("10s")
        Duration interval();

        /** Kinds (who, route, reason) counted at once; past it, new ones count as one per reason on route {@code *}. */
        @WithDefault("10000")
        int maxKinds();

        /** A kind denied this often in one interval also signals {@code auth.check.denied.burst}. */
        @WithDefault("100")
        long burst();
    }

    interface GatewayBudget extends CallPolicy {
        @Override
        @WithDefault("300ms")
        Duration timeout();
    }

    interface ApiKeys extends CallPolicy {
        @Override
        @WithDefault("300ms")
        Duration timeout();
    }

    /** The login attempt budget's call to ratelimit-service, and what happens when it cannot be decided. */
    interface LoginBudget extends CallPolicy {
        /** Turn the attempt budget off (tests of other behaviour, or a deployment without ratelimit-service). */
        @WithDefault("true")
        boolean enabled();

        /**
         * The ratelimit-service domain asked with the descriptors {@code username} and {@code source_ip}
         * (deploy/ratelimit/auth.yaml defines login-per-user and login-per-ip in it).
         */
        @WithDefault("auth")
        String domain();

        /** How long auth-service waits for ratelimit-service. */
        @Override
        @WithDefault("200ms")
        Duration timeout();

        /** When ratelimit-service cannot answer: closed (503, no Keycloak call) or open (let the login through). */
        @WithDefault("closed")
        String failMode();
    }
}
