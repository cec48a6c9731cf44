package dev.sekisho.auth.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.keycloak.representations.idm.AdminEventRepresentation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What one Keycloak admin event changed, in Sekisho's words: a role granted or removed, a user created, disabled or
 * deleted, a credential reset or removed, a client created, changed, deleted or given a new secret, a group joined or
 * left, or some other realm configuration. Only names are taken from the event's representation (role names, a
 * username, whether a user is enabled); nothing else of it (a credential, a client secret) is kept.
 *
 * @param change {@code role.granted}, {@code user.disabled}, {@code client.secret.regenerated}, ... or {@code config.changed}
 * @param targetType {@code user}, {@code group}, {@code client}, {@code role} or {@code realm}
 * @param targetId the Keycloak id the event's path names ({@code ""} for the realm)
 * @param roles the role names granted or removed ({@code role.*} only)
 * @param username the user's username when the representation names it ({@code user.*} changes)
 */
public record AdminChange(String change, String targetType, String targetId, List<String> roles, String username) {

    static final int MAX_ROLES = 32;
    static final int MAX_PATH = 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether the change deserves a person's look: permissions, users, credentials and clients. */
    public boolean sensitive() {
        return !change.equals("config.changed");
    }

    public static AdminChange of(AdminEventRepresentation event) {
        String operation = nz(event.getOperationType()).toUpperCase(Locale.ROOT);
        String type = nz(event.getResourceType()).toUpperCase(Locale.ROOT);
        String path = nz(event.getResourcePath());
        String[] parts = path.split("/");
        String first = parts.length > 0 ? parts[0] : "";
        String targetType = switch (first) {
            case "users" -> "user";
            case "groups" -> "group";
            case "clients" -> "client";
            case "roles", "roles-by-id" -> "role";
            default -> "realm";
        };
        String targetId = parts.length > 1 && !targetType.equals("realm") ? bounded(parts[1]) : "";
        JsonNode representation = parse(event.getRepresentation());
        return switch (type) {
            case "REALM_ROLE_MAPPING", "CLIENT_ROLE_MAPPING" -> new AdminChange(
                    operation.equals("DELETE") ? "role.removed" : "role.granted", targetType, targetId, roleNames(representation), "");
            case "GROUP_MEMBERSHIP" -> new AdminChange(operation.equals("DELETE") ? "group.left" : "group.joined", "user", targetId,
                    List.of(), "");
            case "USER" -> user(operation, path, targetId, representation);
            case "CLIENT" -> new AdminChange(path.endsWith("/client-secret") ? "client.secret.regenerated"
                    : "client." + past(operation), "client", targetId, List.of(), "");
            default -> new AdminChange("config.changed", targetType, targetId, List.of(), "");
        };
    }

    private static AdminChange user(String operation, String path, String id, JsonNode representation) {
        String username = representation == null ? "" : bounded(representation.path("username").asText(""));
        String change;
        if (path.endsWith("/reset-password") || path.endsWith("/reset-password-email")) {
            change = "credential.reset";
        } else if (path.contains("/credentials/")) {
            change = operation.equals("DELETE") ? "credential.removed" : "credential.changed";
        } else if (operation.equals("UPDATE") && representation != null && representation.has("enabled")
                && !representation.path("enabled").asBoolean(true)) {
            change = "user.disabled";
        } else if (path.endsWith("/logout") || path.contains("/sessions")) {
            change = "user.logged-out";
        } else {
            change = "user." + past(operation);
        }
        return new AdminChange(change, "user", id, List.of(), username);
    }

    private static List<String> roleNames(JsonNode representation) {
        List<String> names = new ArrayList<>();
        if (representation != null && representation.isArray()) {
            for (JsonNode role : representation) {
                String name = role.path("name").asText("");
                if (!name.isEmpty() && names.size() < MAX_ROLES) {
                    names.add(bounded(name));
                }
            }
        }
        return List.copyOf(names);
    }

    private static String past(String operation) {
        return switch (operation) {
            case "CREATE" -> "created";
            case "UPDATE" -> "updated";
            case "DELETE" -> "deleted";
            default -> "changed";
        };
    }

    private static JsonNode parse(String representation) {
        if (representation == null || representation.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(representation);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String bounded(String text) {
        return text.length() > 128 ? text.substring(0, 128) : text;
    }

    private static String nz(String text) {
        return text == null ? "" : text;
    }

    /** The event's resource path, bounded, for the audit record. */
    static String path(AdminEventRepresentation event) {
        String path = nz(event.getResourcePath());
        return path.length() > MAX_PATH ? path.substring(0, MAX_PATH) : path;
    }
}
