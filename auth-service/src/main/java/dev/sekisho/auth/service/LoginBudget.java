package dev.sekisho.auth.service;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executor;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.auth.client.RatelimitClient;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.CallerContext;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;

/**
 * Login attempts are budgeted by ratelimit-service before Keycloak sees them: one {@code ShouldRateLimit} call in
 * the domain {@code sekisho.auth.login-budget.domain} with a descriptor per username and one per source address,
 * decided together in one Redis round trip (policies in deploy/ratelimit/auth.yaml). Over budget: the login is
 * refused with the longest wait of the descriptors over their limit. ratelimit-service not answering within
 * {@code sekisho.auth.login-budget.timeout} (or its breaker open): the configured fail mode decides (closed by
 * default: 503, Keycloak is not called). {@code auth} is a protected domain, decided only for auth-service's
 * identity ({@link RatelimitClient}), so nobody else can spend a user's budget and lock them out.
 */
@ApplicationScoped
public class LoginBudget {

    private static final Logger LOG = Logger.getLogger(LoginBudget.class);

    /** The outcome: allowed, or denied with how long to wait; unavailable when nobody could decide. */
    public record Verdict(boolean allowed, boolean unavailable, Duration retryAfter) {
        static final Verdict ALLOW = new Verdict(true, false, Duration.ZERO);
    }

    @Inject
    RatelimitClient ratelimit;

    @Inject
    AuthSettings settings;

    /** Opens the channel to ratelimit-service at start, so the first login does not pay for connecting. */
    void warmUp(@Observes StartupEvent start) {
        if (settings.loginBudget().enabled()) {
            ratelimit.warmUp().subscribe().with(r -> LOG.debug("ratelimit-service reachable"),
                            e -> LOG.infof("ratelimit-service not reachable yet: %s", e.getClass().getSimpleName()));
        }
    }

    public Uni<Verdict> spend(String username, String clientIp) {
        AuthSettings.LoginBudget budget = settings.loginBudget();
        if (!budget.enabled()) {
            return Uni.createFrom().item(Verdict.ALLOW);
        }
        RateLimitRequest request = RateLimitRequest.newBuilder().setDomain(budget.domain())
                .addDescriptors(descriptor("username", username.toLowerCase(Locale.ROOT)))
                .addDescriptors(descriptor("source_ip", clientIp))
                .build();
        Executor back = CallerContext.current();
        // deferred: a guard that refuses the call at once (bulkhead full) fails the Uni rather than throwing here
        return Uni.createFrom().deferred(() -> ratelimit.spendLoginBudget(request))
                .map(LoginBudget::verdict)
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("login budget not decided (ratelimit-service: %s); failing %s", e.toString(), budget.failMode());
                    return "open".equalsIgnoreCase(budget.failMode()) ? Verdict.ALLOW
                            : new Verdict(false, true, Duration.ofSeconds(5));
                })
                .emitOn(back);
    }

    static Verdict verdict(RateLimitResponse response) {
        if (response.getOverallCode() != RateLimitResponse.Code.OVER_LIMIT) {
            return Verdict.ALLOW;
        }
        long waitMillis = response.getStatusesList().stream()
                .filter(s -> s.getCode() == RateLimitResponse.Code.OVER_LIMIT)
                .mapToLong(s -> s.getDurationUntilReset().getSeconds() * 1000 + s.getDurationUntilReset().getNanos() / 1_000_000)
                .max().orElse(0);
        return new Verdict(false, false, Duration.ofMillis(Math.max(waitMillis, 1000)));
    }

    private static RateLimitDescriptor descriptor(String key, String value) {
        return RateLimitDescriptor.newBuilder().addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value)).build();
    }
}
