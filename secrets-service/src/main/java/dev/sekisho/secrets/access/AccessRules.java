package dev.sekisho.secrets.access;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One access policy file as written:
 *
 * <pre>
 * rules:
 *   - roles: [operator]
 *     paths: ["integrations/*"]
 *     capabilities: [read, list]
 * </pre>
 *
 * A path is exact ({@code integrations/crm}) or a prefix ending in {@code /*}; {@code *} alone is every path. A rule
 * governs secrets unless it names another {@code resource}: {@code transit} (its paths are key names) or
 * {@code tokens} (token namespaces).
 */
public record AccessRules(List<Rule> rules) {

    @JsonCreator
    public AccessRules(@JsonProperty(value = "rules", required = true) List<Rule> rules) {
        this.rules = rules == null ? List.of() : List.copyOf(rules);
    }

    public record Rule(Resource resource, List<String> roles, List<String> paths, List<String> capabilities) {

        @JsonCreator
        public Rule(@JsonProperty("resource") String resource,
                @JsonProperty(value = "roles", required = true) List<String> roles,
                @JsonProperty(value = "paths", required = true) List<String> paths,
                @JsonProperty(value = "capabilities", required = true) List<String> capabilities) {
            this(Resource.parse(resource), roles, paths, capabilities);
        }

        public Rule(Resource resource, List<String> roles, List<String> paths, List<String> capabilities) {
            if (roles == null || roles.isEmpty()) {
                throw new IllegalArgumentException("a rule needs at least one role");
            }
            if (paths == null || paths.isEmpty()) {
                throw new IllegalArgumentException("a rule needs at least one path");
            }
            if (capabilities == null || capabilities.isEmpty()) {
                throw new IllegalArgumentException("a rule needs at least one capability");
            }
            paths.forEach(AccessPolicy.PathPattern::parse);
            capabilities.forEach(resource::capability);
            this.resource = resource;
            this.roles = List.copyOf(roles);
            this.paths = List.copyOf(paths);
            this.capabilities = List.copyOf(capabilities);
        }
    }
}
