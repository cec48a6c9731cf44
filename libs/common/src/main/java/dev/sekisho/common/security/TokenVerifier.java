package dev.sekisho.common.security;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonString;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * The one verifier of bearer tokens in the suite: every service, every transport, and auth-service's Introspect and
 * ext_authz ask it. A token is honoured when its signature (Keycloak's JWKS, which SmallRye JWT keeps and fetches
 * again for an unknown key id), issuer, audience and expiry hold, when it is not on the shared revocation list, and,
 * with {@code sekisho.auth.mfa-required}, when a person's token shows that Keycloak checked a one-time code, whoever
 * minted it.
 *
 * <p>Signature and claims are checked once per token and remembered until it expires. The revocation list is asked
 * again whenever the last answer is older than {@code sekisho.tokens.revocation-check-interval}: a revocation
 * reaches every instance within that interval plus one Redis round trip, and a token used a thousand times a second
 * costs Redis two reads a second, not a thousand: while one request re-asks, the others with the same token rely on
 * the last answer for at most {@code sekisho.tokens.revocation-timeout} more. When the list cannot be read, a token
 * is honoured until its last confirmed answer is twice the interval old (a second), then refused with 503.
 */
@ApplicationScoped
public class TokenVerifier {

    @Inject
    JWTParser parser;

    @Inject
    Revocations revocations;

    @Inject
    TokenSettings settings;

    @ConfigProperty(name = "sekisho.auth.mfa-required", defaultValue = "true")
    boolean mfaRequired;

    /** A verified token and until when (System.nanoTime) the revocation list's last "not revoked" is believed. */
    private static final class Known {
        final VerifiedToken token;
        volatile long clearUntil;
        volatile boolean checked;
        /** A re-check is on its way: until it answers (at most the revocation timeout), the last answer stands. */
        final java.util.concurrent.atomic.AtomicBoolean checking = new java.util.concurrent.atomic.AtomicBoolean();
        volatile long checkStarted;

        Known(VerifiedToken token) {
            this.token = token;
        }
    }

    private Cache<String, Known> known;
    private long checkIntervalNanos;
    private long timeoutNanos;
    private volatile boolean keysKnown;
    /** First verifications under way, by token: as many as requests in flight, each removed when it answers. */
    private final Map<String, CompletableFuture<VerifiedToken>> pending = new ConcurrentHashMap<>();

    @PostConstruct
    void init() {
        checkIntervalNanos = settings.revocationCheckInterval().toNanos();
        timeoutNanos = settings.revocationTimeout().toNanos();
        known = Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .expireAfter(Expiry.creating((String token, Known k) ->
                        java.time.Duration.between(Instant.now(), k.token.expiresAt())))
                .build();
    }

    /**
     * The identity of a token that may be honoured now. Fails with {@link InvalidToken} (the reason is safe to show)
     * or {@link RevocationListUnavailable} (nobody can tell whether it was revoked, so it is not accepted).
     */
    public Uni<VerifiedToken> verify(String token) {
        Known k = token == null ? null : known.getIfPresent(token);
        if (k != null && k.token.expiresAt().isAfter(Instant.now())) {
            long now = System.nanoTime();
            if (k.checked && now - k.clearUntil < 0) {
                return Uni.createFrom().item(k.token);
            }
            // many requests with one token see its answer go stale at once: one of them asks, the others rely on the
            // last answer until that one is back (a revocation still arrives within interval + timeout)
            if (k.checked) {
                if (k.checking.compareAndSet(false, true)) {
                    k.checkStarted = now;
                    // a re-check that cannot be answered (Redis slow or gone) leaves the last answer standing until it
                    // is twice the interval old: a revocation is still honoured within a second, and one slow reply on
                    // a busy event loop does not turn into a 503
                    return checkRevocation(token, k)
                            .onFailure(RevocationListUnavailable.class).recoverWithUni(e -> System.nanoTime() - k.clearUntil - checkIntervalNanos < 0
                                    ? Uni.createFrom().item(k.token) : Uni.createFrom().failure(e))
                            .onTermination().invoke(() -> k.checking.set(false));
                }
                if (now - k.checkStarted - timeoutNanos < 0) {
                    return Uni.createFrom().item(k.token);
                }
            }
            return checkRevocation(token, k);
        }
        return firstSight(token);
    }

    /**
     * A token not seen before (or not since it was forgotten): verified once however many requests bring it at the
     * same moment. The first parses it (on a worker: it may fetch Keycloak's keys) and asks the revocation list; the
     * others wait for that answer and go on in their own Vert.x context. Without this a burst of calls with a fresh
     * token made as many parses and Redis checks, which queued behind each other on the event loop until the
     * revocation timeout refused most of them.
     */
    private Uni<VerifiedToken> firstSight(String token) {
        if (token == null || token.length() > settings.maxLength()) {
            return Uni.createFrom().item(() -> admissible(parse(token))); // refused by parse, never remembered
        }
        CompletableFuture<VerifiedToken> mine = new CompletableFuture<>();
        CompletableFuture<VerifiedToken> leader = pending.putIfAbsent(token, mine);
        if (leader != null) {
            Context caller = Vertx.currentContext();
            Uni<VerifiedToken> answer = Uni.createFrom().completionStage(leader);
            return caller == null ? answer : answer.emitOn(task -> caller.runOnContext(ignored -> task.run()));
        }
        return Uni.createFrom().item(() -> admissible(firstParse(token)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .flatMap(verified -> {
                    Known fresh = new Known(verified);
                    // remembered once it passed the revocation list, so that nobody relies on an unchecked entry
                    return checkRevocation(token, fresh).invoke(() -> known.put(token, fresh));
                })
                .onTermination().invoke((verified, failure, cancelled) -> {
                    pending.remove(token, mine);
                    if (failure != null) {
                        mine.completeExceptionally(failure);
                    } else if (cancelled) {
                        mine.completeExceptionally(new RevocationListUnavailable()); // the others: 503, retry
                    } else {
                        mine.complete(verified);
                    }
                });
    }

    private Uni<VerifiedToken> checkRevocation(String token, Known k) {
        long askedAt = System.nanoTime();
        return revocations.check(k.token)
                .ifNoItem().after(settings.revocationTimeout()).fail()
                .onFailure().transform(e -> new RevocationListUnavailable())
                .map(reason -> {
                    if (reason != null) {
                        known.invalidate(token);
                        throw new InvalidToken(reason);
                    }
                    k.clearUntil = askedAt + checkIntervalNanos;
                    k.checked = true;
                    return k.token;
                });
    }

    /** The suite-wide rules beyond the signature: a person's token must show a one-time code when MFA is required. */
    private VerifiedToken admissible(VerifiedToken token) {
        if (mfaRequired && !token.isServiceAccount() && !token.provesOneTimeCode()) {
            throw new InvalidToken("multi-factor authentication required");
        }
        return token;
    }

    /** Whether a person's token satisfies the MFA requirement (machines' tokens always do). */
    public boolean satisfiesMfa(VerifiedToken token) {
        return !mfaRequired || token.isServiceAccount() || token.provesOneTimeCode();
    }

    /** This instance stops honouring the token at once (the revocation list tells the others within the interval). */
    public void forget(String token) {
        if (token != null) {
            known.invalidate(token);
        }
    }

    /** This instance stops honouring every remembered token of the user at once. */
    public void forgetUser(String subject) {
        known.asMap().values().removeIf(k -> subject.equals(k.token.subject()));
    }

    /**
     * {@link #parse}, one at a time until one has succeeded: SmallRye fetches Keycloak's keys on first use, and
     * callers that arrive while that fetch is under way were refused as if their tokens were bad (a burst of
     * requests right after a start got 401s). Once the keys are known, parsing runs in parallel.
     */
    private VerifiedToken firstParse(String token) {
        if (keysKnown) {
            return parse(token);
        }
        synchronized (this) {
            VerifiedToken verified = parse(token);
            keysKnown = true;
            return verified;
        }
    }

    /** Signature, issuer, audience and expiry; no revocation or MFA check. Blocking only while keys are fetched. */
    public VerifiedToken parse(String token) {
        if (token == null || token.isBlank()) {
            throw new InvalidToken("no token");
        }
        if (token.length() > settings.maxLength()) {
            throw new InvalidToken("token too long");
        }
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException e) {
            throw new InvalidToken(reason(e));
        }
        String scope = jwt.getClaim("scope");
        List<String> scopes = scope == null || scope.isBlank() ? List.of() : Arrays.asList(scope.trim().split("\\s+"));
        Set<String> groups = jwt.getGroups();
        return new VerifiedToken(jwt.getSubject(), jwt.getClaim("preferred_username"),
                groups == null ? List.of() : groups.stream().sorted().toList(), scopes, jwt.getClaim("azp"),
                jwt.getTokenID(), jwt.getIssuer(), jwt.getIssuedAtTime() > 0 ? Instant.ofEpochSecond(jwt.getIssuedAtTime()) : null,
                Instant.ofEpochSecond(jwt.getExpirationTime()), strings(jwt.getClaim("amr")));
    }

    /** A JSON array claim as strings; SmallRye hands arrays over as JSON values. */
    private static List<String> strings(Object claim) {
        if (!(claim instanceof Iterable<?> values)) {
            return List.of();
        }
        List<String> strings = new ArrayList<>();
        for (Object value : values) {
            strings.add(value instanceof JsonString s ? s.getString() : String.valueOf(value));
        }
        return List.copyOf(strings);
    }

    /** A short reason a caller can act on; SmallRye's messages can quote claims, so they are not passed on. */
    private static String reason(ParseException e) {
        String text = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()).toLowerCase();
        if (text.contains("expir")) {
            return "expired";
        }
        if (text.contains("aud")) {
            return "wrong audience";
        }
        if (text.contains("iss")) {
            return "wrong issuer";
        }
        if (text.contains("signature") || text.contains("key") || text.contains("alg")) {
            return "bad signature";
        }
        return "malformed";
    }

    /** The token of an {@code Authorization: Bearer ...} header, or null. */
    public static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /** Redis did not answer: a token cannot be shown not to be revoked, so it is not accepted. */
    public static class RevocationListUnavailable extends RuntimeException {
        public RevocationListUnavailable() {
            super("the revocation list is unavailable", null, false, false);
        }
    }
}
