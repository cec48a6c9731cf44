package dev.sekisho.secrets.security;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.rest.ClientAddress;
import dev.sekisho.secrets.service.Accessor;
import dev.sekisho.secrets.service.ApiKeys;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.identity.request.BaseAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;

/**
 * REST callers may present an API key ({@code X-API-Key: sek_...}) instead of a bearer token: an integration reads
 * its secrets, encrypts through transit or tokenizes with the key it was given, from the addresses the key allows.
 * The key is verified here exactly as for the gateway's ext_authz ({@link ApiKeys#verify}: keyed hash, revocation,
 * expiry, allow-list against the request's real address; every verification of an existing key audited, a refusal
 * signalled), on every request, so that a revocation holds from the next request on. The identity's roles are the
 * key's scopes; the access policies decide the rest, as for anyone. A request with no such header is left to the
 * bearer-token mechanism; one with a key that is refused is answered 401 and never falls back to another credential.
 */
@ApplicationScoped
public class ApiKeyAuthentication implements HttpAuthenticationMechanism {

    /** The header, as at the gateway. */
    public static final String HEADER = "X-API-Key";

    /** Ahead of SmallRye JWT's mechanism (1100 in libs/common): a request that brings a key is judged by its key. */
    static final int PRIORITY = 1_200;

    @Inject
    ClientAddress clientAddress;

    /** A presented key and where the request came from. */
    static final class Presented extends BaseAuthenticationRequest {
        final String key;
        final String ip;
        final String userAgent;

        Presented(String key, String ip, String userAgent) {
            this.key = key;
            this.ip = ip;
            this.userAgent = userAgent;
        }
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext context, IdentityProviderManager identityProviderManager) {
        String key = context.request().getHeader(HEADER);
        if (key == null) {
            return Uni.createFrom().nullItem();
        }
        return identityProviderManager.authenticate(new Presented(key.strip(), clientAddress.of(context.request()),
                context.request().getHeader("User-Agent")));
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().nullItem(); // the bearer mechanism's challenge stands for both
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of(Presented.class);
    }

    @Override
    public int getPriority() {
        return PRIORITY;
    }

    /** Verifies a presented key through {@link ApiKeys}, the one place keys are judged. */
    @ApplicationScoped
    public static class Verifier implements IdentityProvider<Presented> {

        @Inject
        ApiKeys keys;

        @Override
        public Class<Presented> getRequestType() {
            return Presented.class;
        }

        @Override
        public Uni<SecurityIdentity> authenticate(Presented request, AuthenticationRequestContext context) {
            // not yet anyone: the verification is recorded by the presenter's address (who it is is being checked)
            Accessor presenter = new Accessor(Set.of(), Who.anonymous(request.ip, request.userAgent == null ? "" : request.userAgent));
            return keys.verify(presenter, request.key, request.ip).map(verdict -> {
                if (!verdict.valid()) {
                    // the reason (revoked, expired, not from this address) is in the audit record, not in the answer
                    throw new AuthenticationFailedException("API key refused");
                }
                ApiKeyCaller caller = new ApiKeyCaller(verdict.id(), verdict.owner(), verdict.scopes());
                return QuarkusSecurityIdentity.builder()
                        .setPrincipal(caller::actorId)
                        .addRoles(Set.copyOf(verdict.scopes()))
                        .addAttribute(ApiKeyCaller.ATTRIBUTE, caller)
                        .build();
            });
        }
    }
}
