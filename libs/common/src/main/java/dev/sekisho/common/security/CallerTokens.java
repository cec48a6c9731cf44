package dev.sekisho.common.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;

import dev.sekisho.common.problem.ProblemException;

/**
 * Authenticates every caller's bearer token, REST and gRPC alike, in every service through the one
 * {@link TokenVerifier}: signature, issuer, audience, expiry, the shared revocation list and the MFA rule. Ranked
 * ahead of SmallRye JWT's own validator, which is thereby never asked. The verified token is kept on the identity
 * ({@link VerifiedToken#of}) so that no code derives "who acted" from the raw claims again.
 */
@ApplicationScoped
public class CallerTokens implements IdentityProvider<TokenAuthenticationRequest> {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(CallerTokens.class);

    @Inject
    TokenVerifier verifier;

    @Override
    public Class<TokenAuthenticationRequest> getRequestType() {
        return TokenAuthenticationRequest.class;
    }

    /**
     * Ahead of SmallRye JWT's validator, which has IdentityProvider's default (1001; higher runs first). Until this
     * was found, the suite's verifier had priority 1 and was never asked: SmallRye's accepted every signed token.
     */
    static final int PRIORITY = 2_000;

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
        return verifier.verify(request.getToken().getToken())
                .map(token -> identity(token, request))
                .onFailure(InvalidToken.class).invoke(e -> LOG.debugf("bearer token refused: %s", e.getMessage()))
                .onFailure(InvalidToken.class).transform(e -> new AuthenticationFailedException("invalid bearer token"))
                .onFailure(TokenVerifier.RevocationListUnavailable.class).transform(e -> ProblemException.unavailable(
                        "Tokens cannot be checked against the revocation list right now; retry shortly.", 1));
    }

    private static SecurityIdentity identity(VerifiedToken token, TokenAuthenticationRequest request) {
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(() -> token.actorId())
                .addCredential(request.getToken())
                .addRoles(java.util.Set.copyOf(token.roles()))
                .addAttribute(VerifiedToken.ATTRIBUTE, token)
                .build();
    }
}
