package dev.sekisho.auth.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.NotFoundException;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.admin.client.resource.UserResource;
import org.keycloak.representations.idm.EventRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import dev.sekisho.common.security.Permissions;
import dev.sekisho.common.security.Revocations;
import dev.sekisho.common.security.TokenVerifier;
import dev.sekisho.audit.v1.Outcome;
import dev.sekisho.common.problem.ProblemException;
import dev.sekisho.peers.SecurityEvents;
import dev.sekisho.peers.SecurityEvents.Who;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * The periodic permission inventory: every person in the realm with their realm roles, MFA, last successful login,
 * and flags for what a reviewer should look at. Uses Keycloak's admin API with auth-service's service account
 * (realm-management: view-users, query-users, manage-users). {@link #disable} blocks: call it from a worker thread.
 */
@ApplicationScoped
public class AccessReview {

    static final int MAX_USERS = 10_000;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(AccessReview.class);
    static final List<String> REVIEWED_ROLES = List.of(Permissions.ADMIN, Permissions.OPERATOR, Permissions.AUDITOR);

    /** @param manager who confirms this user's roles in a review campaign (Keycloak user attribute {@code manager}), or empty */
    public record Entry(String id, String username, boolean enabled, List<String> roles, boolean mfaConfigured,
            Instant lastLogin, Instant created, List<String> flags, String manager) {
    }

    public record Review(Instant generatedAt, int inactiveDays, int users, int flagged, List<Entry> entries) {
    }

    public record Disabled(String userId, String username, boolean wasEnabled) {
    }

    @Inject
    Keycloak admin;

    @Inject
    Revocations revocations;

    @Inject
    TokenVerifier verifier;

    @Inject
    SecurityEvents events;

    @ConfigProperty(name = "sekisho.keycloak.realm")
    String realmName;

    /** The review, read on a worker thread, and its reading audited before the reader gets it. */
    public Uni<Review> read(int inactiveDays, Who reader) {
        return Uni.createFrom().item(() -> keycloak(() -> collect(inactiveDays)))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .call(result -> events.audit("auth.access-review.read", reader, "access-review", "", Outcome.OUTCOME_SUCCESS, "",
                        Map.of("users", String.valueOf(result.users()), "flagged", String.valueOf(result.flagged()))));
    }

    /**
     * @param privilegedToo whether an admin or a service account may be disabled (an admin asking); an alert playbook
     *        may disable neither, so a flood of alerts cannot lock the operators or the services out
     */
    public Disabled disable(String user, boolean privilegedToo) {
        return keycloak(() -> disableNow(user, privilegedToo));
    }

    /** Keycloak unreachable or failing: 503 with Retry-After, never a 500. */
    private static <T> T keycloak(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (ProblemException e) {
            throw e;
        } catch (NotFoundException e) {
            throw ProblemException.notFound("No such user.");
        } catch (jakarta.ws.rs.ProcessingException | jakarta.ws.rs.WebApplicationException e) {
            LOG.warnf("Keycloak admin API call failed: %s", e.toString());
            throw ProblemException.unavailable("Keycloak's admin API is not answering; try again shortly.", 5);
        }
    }

    private Review collect(int inactiveDays) {
        RealmResource realm = admin.realm(realmName);
        Map<String, Set<String>> roles = new HashMap<>();
        for (String role : REVIEWED_ROLES) {
            for (UserRepresentation member : realm.roles().get(role).getUserMembers(0, MAX_USERS)) {
                roles.computeIfAbsent(member.getId(), id -> new TreeSet<>()).add(role);
            }
        }
        Map<String, Instant> lastLogin = new HashMap<>();
        for (EventRepresentation event : realm.getEvents(List.of("LOGIN"), null, null, null, null, null, 0, MAX_USERS)) {
            lastLogin.merge(event.getUserId(), Instant.ofEpochMilli(event.getTime()), (a, b) -> a.isAfter(b) ? a : b);
        }
        Instant now = Instant.now();
        Instant inactiveBefore = now.minus(Duration.ofDays(inactiveDays));
        List<Entry> entries = new ArrayList<>();
        for (UserRepresentation user : realm.users().search(null, 0, MAX_USERS, false)) {
            if (user.getServiceAccountClientId() != null || user.getUsername().startsWith("service-account-")) {
                continue;
            }
            boolean totp = Boolean.TRUE.equals(user.isTotp());
            Instant last = lastLogin.get(user.getId());
            Instant created = user.getCreatedTimestamp() == null ? null : Instant.ofEpochMilli(user.getCreatedTimestamp());
            List<String> flags = new ArrayList<>();
            if (!totp) {
                flags.add("no-mfa");
            }
            boolean inactive = last != null ? last.isBefore(inactiveBefore) : created == null || created.isBefore(inactiveBefore);
            if (inactive && Boolean.TRUE.equals(user.isEnabled())) {
                flags.add(last == null ? "never-logged-in" : "inactive");
            }
            List<String> userRoles = List.copyOf(roles.getOrDefault(user.getId(), Set.of()));
            if (userRoles.contains("admin") && !totp) {
                flags.add("admin-without-mfa");
            }
            entries.add(new Entry(user.getId(), user.getUsername(), Boolean.TRUE.equals(user.isEnabled()), userRoles, totp,
                    last, created, flags, manager(user)));
        }
        entries.sort(Comparator.comparing(Entry::username));
        int flagged = (int) entries.stream().filter(e -> !e.flags().isEmpty()).count();
        return new Review(now, inactiveDays, entries.size(), flagged, entries);
    }

    private static String manager(UserRepresentation user) {
        Map<String, List<String>> attributes = user.getAttributes();
        List<String> values = attributes == null ? null : attributes.get("manager");
        String manager = values == null || values.isEmpty() || values.get(0) == null ? "" : values.get(0).strip();
        return manager.length() > 128 ? "" : manager;
    }

    /** Disables the user, ends their Keycloak sessions and denies every access token they hold. */
    private Disabled disableNow(String user, boolean privilegedToo) {
        RealmResource realm = admin.realm(realmName);
        String id = resolve(realm, user);
        UserResource resource = realm.users().get(id);
        UserRepresentation representation;
        try {
            representation = resource.toRepresentation();
        } catch (NotFoundException e) {
            throw ProblemException.notFound("No such user.");
        }
        if (!privilegedToo && (representation.getServiceAccountClientId() != null || representation.getUsername().startsWith("service-account-")
                || resource.roles().realmLevel().listEffective().stream().anyMatch(role -> "admin".equals(role.getName())))) {
            throw new ProblemException(dev.sekisho.common.problem.ProblemType.FORBIDDEN,
                    "Admins and service accounts are disabled by an admin only.");
        }
        boolean wasEnabled = Boolean.TRUE.equals(representation.isEnabled());
        if (wasEnabled) {
            representation.setEnabled(false);
            resource.update(representation);
        }
        resource.logout();
        revocations.revokeUser(id).await().atMost(Duration.ofSeconds(3));
        verifier.forgetUser(id);
        return new Disabled(id, representation.getUsername(), wasEnabled);
    }

    /** A Keycloak user id, or a username looked up exactly. */
    private static String resolve(RealmResource realm, String user) {
        if (user == null || user.isBlank() || user.length() > 255) {
            throw ProblemException.badRequest("user must be a user id or username");
        }
        try {
            return UUID.fromString(user).toString();
        } catch (IllegalArgumentException notAnId) {
            List<UserRepresentation> found = realm.users().search(user, true);
            if (found.isEmpty()) {
                throw ProblemException.notFound("No such user.");
            }
            return found.get(0).getId();
        }
    }
}
