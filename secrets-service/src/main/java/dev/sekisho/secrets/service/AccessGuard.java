package dev.sekisho.secrets.service;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.sekisho.alert.v1.Severity;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.common.problem.ProblemType;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.secrets.access.AccessRegistry;
import dev.sekisho.secrets.access.Capability;
import dev.sekisho.secrets.access.Resource;
import dev.sekisho.secrets.access.SecretPath;
import io.smallrye.mutiny.Uni;

/**
 * The access policies' answer for one request, the same for secrets, transit keys and token namespaces: the name in
 * its canonical form (a bad one is a 400 that does not quote it), once some rule lets the caller's verified roles do
 * this there; otherwise the refusal is audited, signalled as {@code secret.denied} and a 403 that says nothing about
 * whether the thing exists.
 */
@ApplicationScoped
public class AccessGuard {

    @Inject
    AccessRegistry access;

    @Inject
    SecurityEvents events;

    /** The canonical name, or IllegalArgumentException-free failure: a 400 problem. */
    public static String canonical(String raw) {
        try {
            return SecretPath.canonical(raw);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    /** The canonical name once one of {@code capabilities} is granted there (the first is the one a refusal names). */
    public Uni<String> check(Accessor who, Resource resource, String raw, String action, Capability... capabilities) {
        String name;
        try {
            name = canonical(raw);
        } catch (ProblemException e) {
            return Uni.createFrom().failure(e);
        }
        return checkCanonical(who, resource, name, action, capabilities);
    }

    public Uni<String> checkCanonical(Accessor who, Resource resource, String name, String action, Capability... capabilities) {
        for (Capability capability : capabilities) {
            if (access.current().allows(resource, who.roles(), name, capability)) {
                return Uni.createFrom().item(name);
            }
        }
        return deny(who, resource, name, capabilities[0], action);
    }

    public <T> Uni<T> deny(Accessor who, Resource resource, String name, Capability capability, String action) {
        return events.audit(action, who.who(), resourceType(resource), name, Outcome.OUTCOME_DENIED, "no policy grants " + capability.label(),
                Map.of("capability", capability.label()))
                .chain(() -> events.signal("secret.denied", Severity.SEVERITY_WARNING, "A secrets request was refused by policy",
                        Map.of("resource", resource.label(), "capability", capability.label(), "actor", who.name())))
                .chain(() -> Uni.createFrom().failure(new ProblemException(ProblemType.FORBIDDEN,
                        "No access policy lets you " + capability.label() + " " + what(resource) + ".")));
    }

    /** The resource type audit records name. */
    public static String resourceType(Resource resource) {
        return switch (resource) {
            case SECRETS -> "secret";
            case TRANSIT -> "transit-key";
            case TOKENS -> "token-namespace";
        };
    }

    private static String what(Resource resource) {
        return switch (resource) {
            case SECRETS -> "at this path";
            case TRANSIT -> "with this transit key";
            case TOKENS -> "in this token namespace";
        };
    }
}
