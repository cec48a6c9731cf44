package dev.sekisho.auth.login;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.peers.ServiceToken;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.CheckResponse;
import dev.sekisho.ratelimit.v1.Key;
import dev.sekisho.ratelimit.v1.MutinyRateLimiterGrpc;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;

/**
 * Login attempts are budgeted by ratelimit-service before Keycloak sees them: one check per username and one per
 * source address, both in parallel. Over budget: the login is refused with the longer retry-after of the two.
 * ratelimit-service unreachable within {@code sekisho.auth.login-budget.timeout}: the configured fail mode
 * decides (closed by default: 503, Keycloak is not called).
 */
@ApplicationScoped
public class LoginBudget {

    private static final Logger LOG = Logger.getLogger(LoginBudget.class);

    /** The outcome: allowed, or denied with how long to wait; unavailable when nobody could decide. */
    public record Verdict(boolean allowed, boolean unavailable, Duration retryAfter) {
        static final Verdict ALLOW = new Verdict(true, false, Duration.ZERO);
    }

    @GrpcClient("ratelimit")
    MutinyRateLimiterGrpc.MutinyRateLimiterStub ratelimit;

    @Inject
    ServiceToken serviceToken;

    @Inject
    AuthSettings settings;

    /** Opens the channel to ratelimit-service at start, so the first login does not pay for connecting. */
    void warmUp(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent start) {
        if (settings.loginBudget().enabled()) {
            ratelimit.withCallCredentials(serviceToken.credentials())
                    .listPolicies(dev.sekisho.ratelimit.v1.ListPoliciesRequest.getDefaultInstance())
                    .subscribe().with(policies -> LOG.debugf("ratelimit-service reachable: %d policies", policies.getPoliciesCount()),
                            e -> LOG.infof("ratelimit-service not reachable yet: %s", e.getClass().getSimpleName()));
        }
    }

    public Uni<Verdict> spend(String username, String clientIp) {
        AuthSettings.LoginBudget budget = settings.loginBudget();
        if (!budget.enabled()) {
            return Uni.createFrom().item(Verdict.ALLOW);
        }
        Uni<CheckResponse> perUser = check(budget.perUserPolicy(), "username", username.toLowerCase(java.util.Locale.ROOT));
        Uni<CheckResponse> perIp = check(budget.perIpPolicy(), "source_ip", clientIp);
        return Uni.combine().all().unis(perUser, perIp).with((user, ip) -> {
            if (user.getAllowed() && ip.getAllowed()) {
                return Verdict.ALLOW;
            }
            long wait = Math.max(retryMillis(user), retryMillis(ip));
            return new Verdict(false, false, Duration.ofMillis(Math.max(wait, 1000)));
        }).onFailure().recoverWithItem(e -> {
            LOG.warnf("login budget not decided (ratelimit-service: %s); failing %s", e.toString(),
                    budget.failMode());
            return "open".equalsIgnoreCase(budget.failMode()) ? Verdict.ALLOW : new Verdict(false, true, Duration.ofSeconds(5));
        });
    }

    private Uni<CheckResponse> check(String policy, String key, String value) {
        return ratelimit.withCallCredentials(serviceToken.credentials())
                .check(CheckRequest.newBuilder().setPolicy(policy)
                        .addKeys(Key.newBuilder().setName(key).setValue(value)).build())
                .ifNoItem().after(settings.loginBudget().timeout()).fail();
    }

    private static long retryMillis(CheckResponse response) {
        if (response.getAllowed() || !response.hasRetryAfter()) {
            return 0;
        }
        return response.getRetryAfter().getSeconds() * 1000 + response.getRetryAfter().getNanos() / 1_000_000;
    }
}
