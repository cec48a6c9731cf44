package dev.sekisho.secrets.service;

import java.util.Set;

import dev.sekisho.common.security.VerifiedToken;
import dev.sekisho.peers.SecurityEvents.Who;
import io.quarkus.security.identity.SecurityIdentity;

/** Who asks, from the verified identity only: the roles the access policies match, and the actor audit records name. */
public record Accessor(Set<String> roles, Who who) {

    public static Accessor of(SecurityIdentity identity, String ip, String userAgent) {
        VerifiedToken token = VerifiedToken.of(identity);
        return new Accessor(token == null ? Set.of() : Set.copyOf(token.roles()), Who.of(token, ip, userAgent));
    }

    /** The name a version records as its author. */
    public String name() {
        return who.id().isEmpty() ? "anonymous" : who.id();
    }
}
