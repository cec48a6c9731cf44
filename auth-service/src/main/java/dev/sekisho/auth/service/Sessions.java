package dev.sekisho.auth.service;

import java.time.Instant;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.auth.client.GrantRejected;
import dev.sekisho.auth.client.Keycloak;
import dev.sekisho.auth.client.TokenSet;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.common.security.InvalidToken;
import dev.sekisho.common.security.Revocations;
import dev.sekisho.common.security.TokenVerifier;
import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.smallrye.mutiny.Uni;

/** What happens to a session after its login: refresh, logout, and machine tokens; every outcome audited. */
@ApplicationScoped
public class Sessions {

    @Inject
    Keycloak keycloak;

    @Inject
    TokenVerifier verifier;

    @Inject
    Revocations revocations;

    @Inject
    SecurityEvents events;

    @Inject
    LoginBudget budget;

    /** What a logout did: the access token is refused everywhere until it would have expired. */
    public record LoggedOut(Instant accessDeniedUntil) {
    }

    /**
     * New tokens for a session. A session whose login showed no one-time code (a password-only grant made at Keycloak
     * directly) is not renewed while MFA is required: it is ended instead, as a login would have been refused.
     */
    public Uni<TokenSet> refresh(String refreshToken, String ip, String userAgent) {
        return budget.guard(budget.spendRefresh(ip), "auth.refresh", "Token refreshes", Who.anonymous(ip, userAgent), "session",
                () -> grantRefresh(refreshToken, ip, userAgent));
    }

    private Uni<TokenSet> grantRefresh(String refreshToken, String ip, String userAgent) {
        return keycloak.refresh(refreshToken)
                .flatMap(tokens -> verifier.satisfiesMfa(verifier.parse(tokens.accessToken())) ? Uni.createFrom().item(tokens)
                        : keycloak.logout(tokens.refreshToken()).onFailure().recoverWithNull()
                                .replaceWith(Uni.createFrom().<TokenSet>failure(new GrantRejected("mfa_not_shown"))))
                .call(tokens -> {
                    VerifiedToken who = verifier.parse(tokens.accessToken());
                    return events.audit("auth.token.refreshed", Who.of(who, ip, userAgent), "user", who.subject(),
                            Outcome.OUTCOME_SUCCESS, "", Map.of());
                })
                .onFailure(GrantRejected.class).call(e -> events.audit("auth.token.refresh-failed", Who.anonymous(ip, userAgent),
                        "token", "", Outcome.OUTCOME_FAILURE, ((GrantRejected) e).reason(), Map.of()))
                .onFailure(GrantRejected.class).transform(e -> new ProblemException(ProblemType.UNAUTHORIZED,
                        "The refresh token is not valid (expired, revoked or ended by a logout)."))
                .onFailure().transform(Logins::toProblem);
    }

    /**
     * Ends a session: the refresh token is revoked at Keycloak, and the access token presented as bearer goes on the
     * revocation list, which every instance of every service reads (this instance forgets it at once). A refresh token
     * Keycloak does not know (made up, expired, already logged out, another client's) or one of another user than the
     * bearer's is a 400 and changes nothing: a logout that did not happen is never answered as done.
     */
    public Uni<LoggedOut> logout(String refreshToken, String bearer, String ip, String userAgent) {
        boolean hasRefresh = refreshToken != null && !refreshToken.isBlank();
        if (!hasRefresh && bearer == null) {
            return Uni.createFrom().failure(
                    ProblemException.badRequest("Send the access token as bearer, the refresh token in the body, or both."));
        }
        VerifiedToken token;
        try {
            token = bearer == null ? null : verifier.parse(bearer);
        } catch (InvalidToken e) {
            return Uni.createFrom().failure(new ProblemException(ProblemType.UNAUTHORIZED, "The access token is not valid: " + e.getMessage()));
        }
        if (hasRefresh && token != null && !token.subject().equals(TokenSet.subjectOf(refreshToken))) {
            return refusedLogout(token, ip, userAgent, "refresh token of another subject");
        }
        Uni<Void> endSession = !hasRefresh ? Uni.createFrom().voidItem() : keycloak.logout(refreshToken);
        return endSession
                .onFailure(GrantRejected.class).recoverWithUni(e -> refusedLogout(token, ip, userAgent, ((GrantRejected) e).reason()))
                .chain(() -> token == null ? Uni.createFrom().voidItem()
                        : revocations.revokeToken(token.tokenId(), token.expiresAt()).invoke(() -> verifier.forget(bearer)))
                .call(() -> events.audit("auth.logout", Who.of(token, ip, userAgent), "session", token == null ? "" : token.subject(),
                        Outcome.OUTCOME_SUCCESS, "", token == null ? Map.of() : Map.of("jti", String.valueOf(token.tokenId()))))
                .onFailure().transform(Logins::toProblem)
                .replaceWith(() -> new LoggedOut(token == null ? null : token.expiresAt()));
    }

    private <T> Uni<T> refusedLogout(VerifiedToken token, String ip, String userAgent, String reason) {
        return events.audit("auth.logout.failed", Who.of(token, ip, userAgent), "session", token == null ? "" : token.subject(),
                        Outcome.OUTCOME_FAILURE, reason, Map.of())
                .replaceWith(Uni.createFrom().failure(ProblemException.badRequest(
                        "The refresh token is not a live session of this client and caller; nothing was logged out.")));
    }

    public Uni<TokenSet> serviceToken(String clientId, String clientSecret, String scope, String ip, String userAgent) {
        Who who = Who.client(clientId, ip, userAgent);
        return budget.guard(budget.spendServiceToken(clientId, ip), "auth.service-token", "Service tokens", who, "client",
                () -> grantServiceToken(clientId, clientSecret, scope, who));
    }

    private Uni<TokenSet> grantServiceToken(String clientId, String clientSecret, String scope, Who who) {
        return keycloak.clientCredentials(clientId, clientSecret, scope)
                .call(t -> events.audit("auth.service-token.issued", who, "client", clientId, Outcome.OUTCOME_SUCCESS, "", Map.of()))
                .onFailure(GrantRejected.class).call(e -> events.audit("auth.service-token.failed", who, "client",
                        clientId, Outcome.OUTCOME_FAILURE, ((GrantRejected) e).reason(), Map.of()))
                .onFailure(GrantRejected.class).transform(e -> new ProblemException(ProblemType.INVALID_CREDENTIALS,
                        "The client id or secret is not valid."))
                .onFailure().transform(Logins::toProblem);
    }
}
