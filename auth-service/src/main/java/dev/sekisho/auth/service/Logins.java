package dev.sekisho.auth.service;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.jboss.logging.Logger;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.auth.client.GrantRejected;
import dev.sekisho.auth.config.AuthSettings;
import dev.sekisho.auth.client.Keycloak;
import dev.sekisho.auth.client.KeycloakUnavailable;
import dev.sekisho.auth.client.TokenSet;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import io.smallrye.mutiny.Uni;

/**
 * A login, from budget to audit: the attempt budget first (no Keycloak call when it is spent), then Keycloak's
 * password + TOTP grant, then the MFA requirement; every outcome is stored in the outbox before the caller gets
 * an answer. Every refusal looks the same to the caller, whatever failed.
 */
@ApplicationScoped
public class Logins {

    static final String REFUSED = "The username, password or one-time code is not valid.";
    private static final Logger LOG = Logger.getLogger(Logins.class);

    @Inject
    LoginBudget budget;

    @Inject
    Keycloak keycloak;

    @Inject
    SecurityEvents events;

    @Inject
    AuthSettings settings;

    @Inject
    ObjectMapper json;

    public Uni<TokenSet> login(String username, String password, String totp, String ip, String userAgent) {
        Who who = Who.user(username, ip, userAgent);
        return budget.guard(budget.spend(username, ip), "auth.login", "Logins", who, "user", () ->
                keycloak.passwordGrant(username, password, totp)
                        .flatMap(this::requireMfa)
                        .call(tokens -> events.audit("auth.login.succeeded", who, "user", username, Outcome.OUTCOME_SUCCESS, "", Map.of())
                                .call(() -> events.signal("auth.login.succeeded", Severity.SEVERITY_INFO, "login succeeded",
                                        Map.of("user", username, "ip", who.ip()))))
                        .onFailure(GrantRejected.class).call(e -> refused(who, ((GrantRejected) e).reason()))
                        .onFailure(Logins::keycloakDown).call(e -> events.audit("auth.login.error", who, "user", username,
                                Outcome.OUTCOME_ERROR, "keycloak unavailable", Map.of())))
                .onFailure().transform(Logins::toProblem);
    }

    /**
     * With MFA required, a grant counts only if Keycloak checked a one-time code: the access token's {@code amr}
     * (the realm's direct grant flow names its steps pwd and otp) must contain {@code otp}, the same rule every
     * service's TokenVerifier applies. Keycloak's direct grant asks for a code only from users who have one, so a
     * user without TOTP gets a password-only grant: it is undone (the session ended at Keycloak) and refused. A realm
     * whose auth client lacks the amr mapper shows no code for anyone, so no login passes (and the log says why).
     */
    private Uni<TokenSet> requireMfa(TokenSet tokens) {
        if (!settings.mfaRequired()) {
            return Uni.createFrom().item(tokens);
        }
        List<String> amr = amr(tokens.accessToken());
        if (amr != null && amr.contains("otp")) {
            return Uni.createFrom().item(tokens);
        }
        if (amr == null) {
            LOG.warn("Keycloak's token has no amr claim: add the amr mapper to the auth client, or no login can show MFA");
        }
        return keycloak.logout(tokens.refreshToken()).onFailure().recoverWithNull()
                .replaceWith(Uni.createFrom().<TokenSet>failure(new GrantRejected(amr == null ? "mfa_not_shown" : "mfa_not_configured")));
    }

    /** The amr claim of a token Keycloak just returned to us, or null when it has none. */
    private List<String> amr(String accessToken) {
        try {
            JsonNode claim = json.readTree(Base64.getUrlDecoder().decode(accessToken.split("\\.")[1])).get("amr");
            if (claim == null || !claim.isArray()) {
                return null;
            }
            List<String> methods = new ArrayList<>();
            claim.forEach(method -> methods.add(method.asText()));
            return methods;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Keycloak returned an access token whose claims cannot be read");
            return null;
        }
    }

    private Uni<Void> refused(Who who, String reason) {
        return events.audit("auth.login.failed", who, "user", who.id(), Outcome.OUTCOME_FAILURE, reason, Map.of())
                .call(() -> events.signal("auth.login.failed", Severity.SEVERITY_INFO, "login refused: " + reason,
                        Map.of("user", who.id(), "ip", who.ip())));
    }

    static boolean keycloakDown(Throwable e) {
        return e instanceof KeycloakUnavailable || e instanceof CircuitBreakerOpenException;
    }

    /** What a caller sees: one refusal for every bad credential, 503 when Keycloak cannot answer. */
    public static Throwable toProblem(Throwable e) {
        if (e instanceof GrantRejected) {
            return new ProblemException(ProblemType.INVALID_CREDENTIALS, REFUSED);
        }
        if (keycloakDown(e)) {
            return ProblemException.unavailable("The identity provider is not answering; try again shortly.", 5);
        }
        if (e instanceof ProblemException) {
            return e;
        }
        // the outbox (Redis) refused the audit record: no answer may go out unaudited
        LOG.warnf("login not completed: %s", e.getClass().getSimpleName());
        return ProblemException.unavailable("The login cannot be recorded right now; try again shortly.", 5);
    }
}
