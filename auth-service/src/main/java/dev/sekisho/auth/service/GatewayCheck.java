package dev.sekisho.auth.service;

import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.auth.client.RatelimitClient;
import dev.sekisho.auth.client.SecretsClient;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.InvalidToken;
import dev.sekisho.common.security.TokenVerifier;
import dev.sekisho.peers.CallerContext;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.ratelimit.v1.CheckRequest;
import dev.sekisho.ratelimit.v1.Key;
import dev.sekisho.secrets.v1.ClientStandingResponse;
import dev.sekisho.secrets.v1.VerifyApiKeyRequest;
import io.smallrye.mutiny.Uni;

/**
 * A gateway's question, "may this request pass?", as ext_authz asks it: a valid bearer token (the suite's verifier;
 * a machine token of an integration's service client only while that integration is approved or active) or a valid
 * API key (secrets-service), the route's required role when it names one, and, when configured, the
 * caller's rate budget. Every denial is audited (what the caller sent is never quoted back, nor recorded).
 */
@ApplicationScoped
public class GatewayCheck {

    private static final Logger LOG = Logger.getLogger(GatewayCheck.class);
    /** Longer keys are refused unparsed; secrets-service's keys are far shorter. */
    static final int MAX_API_KEY = 512;

    @Inject
    TokenVerifier verifier;

    @Inject
    AuthSettings settings;

    @Inject
    RatelimitClient ratelimit;

    @Inject
    SecretsClient secrets;

    @Inject
    GatewayDenials denials;

    /** How long a service client's standing (its integration's state) is taken as known. */
    static final java.time.Duration STANDING_FOR = java.time.Duration.ofSeconds(1);
    /** Keyed by verified tokens' client ids only, so bounded by the realm's clients; capped all the same. */
    private final com.github.benmanes.caffeine.cache.Cache<String, ClientStandingResponse> standings =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().expireAfterWrite(STANDING_FOR).maximumSize(10_000).build();

    /**
     * What the gateway saw: the credentials, where it says the request came from ({@code claimedIp}), where it goes
     * (the path without its query), what the route needs (a role, a budget of its own); and the address the question
     * itself came from.
     */
    public record Request(String bearer, String apiKey, String claimedIp, String path, String requiredRole, String ratePolicy,
            String peerIp) {
    }

    /** Who a request was authenticated as, and how. */
    public record Caller(String subject, String username, List<String> roles, String client, String method) {
    }

    /** The answer: a caller to let through, or a refusal with its problem type, detail and extra headers. */
    public record Verdict(Caller allowed, ProblemType refusal, String detail, Map<String, String> headers) {

        static Verdict allow(Caller caller) {
            return new Verdict(caller, null, null, Map.of());
        }

        public boolean isAllowed() {
            return allowed != null;
        }
    }

    public Uni<Verdict> check(Request request) {
        Uni<Caller> caller;
        if (request.bearer() != null) {
            caller = verifier.verify(request.bearer()).flatMap(t -> {
                Caller who = new Caller(t.subject(), t.username(), t.roles(), t.clientId(), "bearer");
                return t.isServiceAccount() ? governed(who) : Uni.createFrom().item(who);
            });
        } else if (request.apiKey() != null && !request.apiKey().isBlank()) {
            caller = verifyApiKey(request.apiKey(), request.claimedIp());
        } else {
            return deny(request, null, ProblemType.UNAUTHORIZED, "A bearer token or an API key is required.", "no credentials",
                    Map.of("WWW-Authenticate", "Bearer"));
        }
        return caller.flatMap(who -> {
            String role = request.requiredRole();
            if (!role.isEmpty() && !who.roles().contains(role)) {
                return deny(request, who, ProblemType.FORBIDDEN, "This route needs the role " + role + ".", "missing role " + role,
                        Map.of());
            }
            return withinBudget(request, who).flatMap(retryAfter -> retryAfter == null ? Uni.createFrom().item(Verdict.allow(who))
                    : deny(request, who, ProblemType.RATE_LIMITED, "Too many requests.", "rate limited", Map.of("Retry-After", retryAfter)));
        }).onFailure(InvalidToken.class).recoverWithUni(e -> deny(request, null, ProblemType.UNAUTHORIZED,
                "The credentials are not valid: " + e.getMessage() + ".", e.getMessage(),
                Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\"")))
                .onFailure(e -> !(e instanceof InvalidToken)).recoverWithUni(e -> {
                    LOG.warnf("ext_authz check could not decide: %s", e.toString());
                    return deny(request, null, ProblemType.UNAVAILABLE, "Authorization cannot be decided right now.",
                            "unavailable: " + e.getClass().getSimpleName(), Map.of("Retry-After", "1"));
                });
    }

    /**
     * A machine token whose client is an integration's service client passes only while that integration is approved
     * or active. The answer is kept for {@link #STANDING_FOR} per client (bounded), so that a suspension refuses the
     * client's tokens everywhere within a second without a call to secrets-service on every request.
     */
    private Uni<Caller> governed(Caller who) {
        ClientStandingResponse known = standings.getIfPresent(who.client());
        Uni<ClientStandingResponse> standing = known != null ? Uni.createFrom().item(known)
                : Uni.createFrom().deferred(() -> secrets.clientStanding(who.client())).emitOn(CallerContext.current())
                        .invoke(answer -> standings.put(who.client(), answer));
        return standing.map(s -> {
            if (s.getGoverned() && !(s.getState().equals("approved") || s.getState().equals("active"))) {
                throw new InvalidToken("its integration is " + s.getState());
            }
            return who;
        });
    }

    private Uni<Caller> verifyApiKey(String apiKey, String ip) {
        if (apiKey.length() > MAX_API_KEY) {
            return Uni.createFrom().failure(new InvalidToken("malformed API key"));
        }
        VerifyApiKeyRequest request = VerifyApiKeyRequest.newBuilder().setApiKey(apiKey).setSourceIp(ip).build();
        return Uni.createFrom().deferred(() -> secrets.verifyApiKey(request))
                .emitOn(CallerContext.current())
                .map(r -> {
                    if (!r.getValid()) {
                        throw new InvalidToken("API key " + (r.getReason().isEmpty() ? "refused" : r.getReason()));
                    }
                    return new Caller("apikey:" + r.getKeyId(), r.getOwner(), r.getRolesList(), r.getKeyId(), "api-key");
                });
    }

    /**
     * Null when the request may pass, else the Retry-After seconds: the route's policy ({@code sekisho.rate_policy}),
     * else {@code sekisho.auth.gateway-rate-policy}, keyed by the caller's subject; without either, always null. The
     * policy must exist in ratelimit-service and be one this service may spend (its domain not protected from it), or
     * the check cannot be decided (503): a route configured wrongly is closed, not open.
     */
    private Uni<String> withinBudget(Request question, Caller who) {
        String policy = question.ratePolicy() != null && !question.ratePolicy().isEmpty() ? question.ratePolicy()
                : settings.gatewayRatePolicy().orElse(null);
        if (policy == null) {
            return Uni.createFrom().nullItem();
        }
        CheckRequest request = CheckRequest.newBuilder().setPolicy(policy)
                .addKeys(Key.newBuilder().setName("subject").setValue(who.subject())).build();
        return Uni.createFrom().deferred(() -> ratelimit.gatewayBudget(request))
                .emitOn(CallerContext.current())
                .map(r -> r.getAllowed() ? null : String.valueOf(Math.max(1, r.getRetryAfter().getSeconds())));
    }

    /**
     * A refusal, recorded first (aggregated: {@link GatewayDenials}); the request is refused either way if its record
     * cannot be stored. The actor's address is the one the question came from; the gateway's claim is an attribute.
     */
    private Uni<Verdict> deny(Request request, Caller who, ProblemType type, String detail, String reason, Map<String, String> headers) {
        Who actor = who == null ? Who.anonymous(request.peerIp(), "")
                : new Who(who.method().equals("api-key") ? ActorType.ACTOR_TYPE_API_KEY : ActorType.ACTOR_TYPE_USER,
                        who.username() != null ? who.username() : who.subject(), request.peerIp(), "", nz(who.client()));
        return denials.denied(actor, request.path(), reason, type.status(), request.claimedIp())
                .onFailure().invoke(e -> LOG.warnf("a denied check could not be audited: %s", e.getClass().getSimpleName()))
                .onFailure().recoverWithNull()
                .replaceWith(new Verdict(null, type, detail, headers));
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }
}
