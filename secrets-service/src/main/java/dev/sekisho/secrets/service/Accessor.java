package dev.sekisho.secrets.service;

import java.util.Set;

import dev.sekisho.audit.v1.ActorType;
import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.peers.SecurityEvents.Who;
import dev.sekisho.secrets.security.ApiKeyCaller;
import io.quarkus.security.identity.SecurityIdentity;

/** Who asks, from the verified identity only (a token, or an API key verified here): the roles the access policies match, and the actor audit records name. */
public record Accessor(Set<String> roles, Who who) {

    public static Accessor of(SecurityIdentity identity, String ip, String userAgent) {
        ApiKeyCaller key = ApiKeyCaller.of(identity);
        if (key != null) {
            return new Accessor(Set.copyOf(key.scopes()), new Who(ActorType.ACTOR_TYPE_API_KEY, key.actorId(), ip,
                    userAgent == null ? "" : userAgent, ""));
        }
        VerifiedToken token = VerifiedToken.of(identity);
        return new Accessor(token == null ? Set.of() : Set.copyOf(token.roles()), Who.of(token, ip, userAgent));
    }

    /** An integration with one of its API keys, not a person or a service with a token. */
    public boolean isApiKey() {
        return who.type() == ActorType.ACTOR_TYPE_API_KEY;
    }

    /** The name a version records as its author. */
    public String name() {
        return who.id().isEmpty() ? "anonymous" : who.id();
    }
}
