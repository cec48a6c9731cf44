package dev.sekisho.auth.service;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
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
import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.Problem;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.opentelemetry.instrumentation.annotations.WithSpan;

/**
 * Every credential endpoint's attempts are budgeted by ratelimit-service before Keycloak sees them: one
 * {@code ShouldRateLimit} call in the domain {@code sekisho.auth.login-budget.domain}, decided in one Redis round trip
 * (policies in deploy/ratelimit/auth.yaml): a login per username and per source address, a refresh per source
 * address, a service token per client id and per source address. Over budget: the attempt is refused with the
 * longest wait of the descriptors over their limit (429), audited and signalled. ratelimit-service not answering within
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

    @Inject
    SecurityEvents events;

    private volatile boolean warm;

    /** Warms the login path at start (readiness keeps trying until it is warm). */
    void warmUp(@Observes StartupEvent start) {
        warmUp().subscribe().with(ok -> LOG.debug("login budget decidable"),
                e -> LOG.infof("login budget not decidable yet: %s", e.getClass().getSimpleName()));
    }

    /**
     * True once a decision in the budget's domain has been made with this service's token (or the budget is off):
     * the channel, the token and ratelimit-service's check of it are ready, and a login gets a definite answer.
     */
    public Uni<Boolean> warmUp() {
        if (warm || !settings.loginBudget().enabled()) {
            return Uni.createFrom().item(true);
        }
        return ratelimit.warmUp(settings.loginBudget().domain())
                .ifNoItem().after(Duration.ofSeconds(5)).fail()
                .invoke(() -> warm = true)
                .replaceWith(true);
    }

    /** A login: per username (any case) and per source address. */
    @WithSpan("login budget decision")
    public Uni<Verdict> spend(String username, String clientIp) {
        return spend(descriptor("username", username.toLowerCase(Locale.ROOT)), descriptor("source_ip", clientIp));
    }

    /** A refresh: per source address (refresh tokens cannot be guessed; a flood of them still reaches Keycloak). */
    public Uni<Verdict> spendRefresh(String clientIp) {
        return spend(descriptor("refresh_source_ip", clientIp));
    }

    /** A client-credentials grant: per client id (guessing one client's secret) and per source address. */
    public Uni<Verdict> spendServiceToken(String clientId, String clientIp) {
        return spend(descriptor("client_id", clientId), descriptor("client_source_ip", clientIp));
    }

    /**
     * The attempt, if its budget allows it. Spent: {@code <event>.limited} is audited and signalled and the caller gets
     * 429 with Retry-After; undecided (fail mode closed): {@code <event>.error} is audited and the caller gets 503.
     * {@code what} names the attempts in the 503's detail ("Logins").
     */
    public <T> Uni<T> guard(Uni<Verdict> spend, String event, String what, Who who, String resourceType,
            Supplier<Uni<T>> attempt) {
        return spend.flatMap(verdict -> {
            if (verdict.unavailable()) {
                return events.audit(event + ".error", who, resourceType, who.id(), Outcome.OUTCOME_ERROR,
                                "attempt budget unavailable", Map.of())
                        .replaceWith(Uni.createFrom().<T>failure(ProblemException.unavailable(
                                what + " are paused: the attempt budget cannot be checked.", verdict.retryAfter().toSeconds())));
            }
            if (!verdict.allowed()) {
                long retry = Math.max(1, verdict.retryAfter().toSeconds());
                return events.audit(event + ".limited", who, resourceType, who.id(), Outcome.OUTCOME_DENIED,
                                "attempt budget spent", Map.of())
                        .call(() -> events.signal(event + ".limited", Severity.SEVERITY_WARNING, "attempt budget spent",
                                Map.of(resourceType, who.id(), "ip", who.ip())))
                        .replaceWith(Uni.createFrom().<T>failure(new ProblemException(
                                Problem.of(ProblemType.RATE_LIMITED, "Too many attempts; try again later."),
                                Map.of("Retry-After", String.valueOf(retry)))));
            }
            return attempt.get();
        });
    }

    private Uni<Verdict> spend(RateLimitDescriptor... descriptors) {
        AuthSettings.LoginBudget budget = settings.loginBudget();
        if (!budget.enabled()) {
            return Uni.createFrom().item(Verdict.ALLOW);
        }
        RateLimitRequest request = RateLimitRequest.newBuilder().setDomain(budget.domain())
                .addAllDescriptors(java.util.List.of(descriptors))
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
