package dev.sekisho.secrets.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Who may do what where, compiled from the policy files: deny by default; a request is allowed when some rule names
 * one of the caller's verified roles, a pattern matching the canonical path, and the capability.
 */
public final class AccessPolicy {

    public static final AccessPolicy DENY_ALL = new AccessPolicy(List.of());

    /** An exact path, a prefix ({@code a/b/*}: everything under a/b), or {@code *}: everything. */
    public record PathPattern(String text, boolean prefix) {

        public static PathPattern parse(String raw) {
            if ("*".equals(raw)) {
                return new PathPattern("", true);
            }
            if (raw != null && raw.endsWith("/*")) {
                String base = raw.substring(0, raw.length() - 2);
                String why = SecretPath.problem(base, false);
                if (why != null) {
                    throw new IllegalArgumentException("path pattern '" + raw + "': " + why);
                }
                return new PathPattern(base + "/", true);
            }
            String why = SecretPath.problem(raw, false);
            if (why != null) {
                throw new IllegalArgumentException("path pattern '" + raw + "': " + why + " (a prefix ends in /*)");
            }
            return new PathPattern(raw, false);
        }

        boolean matches(String path) {
            return prefix ? path.startsWith(text) : path.equals(text);
        }

        /** Whether some path under {@code prefix} could match. */
        boolean reaches(String listPrefix) {
            return prefix ? listPrefix.startsWith(text) || text.startsWith(listPrefix) : text.startsWith(listPrefix);
        }
    }

    record Grant(Resource resource, Set<String> roles, List<PathPattern> paths, Set<Capability> capabilities) {
    }

    private final List<Grant> grants;

    private AccessPolicy(List<Grant> grants) {
        this.grants = grants;
    }

    public static AccessPolicy of(Collection<AccessRules> files) {
        List<Grant> grants = new ArrayList<>();
        for (AccessRules file : files) {
            for (AccessRules.Rule rule : file.rules()) {
                EnumSet<Capability> capabilities = EnumSet.noneOf(Capability.class);
                rule.capabilities().forEach(c -> capabilities.add(rule.resource().capability(c)));
                grants.add(new Grant(rule.resource(), Set.copyOf(rule.roles()), rule.paths().stream().map(PathPattern::parse).toList(), capabilities));
            }
        }
        return new AccessPolicy(List.copyOf(grants));
    }

    /** Whether these roles may do this to the secret at {@code path}. */
    public boolean allows(Set<String> roles, String path, Capability capability) {
        return allows(Resource.SECRETS, roles, path, capability);
    }

    /** Whether these roles may do this to the resource named {@code path} (a secret, a transit key, a token namespace). */
    public boolean allows(Resource resource, Set<String> roles, String path, Capability capability) {
        for (Grant grant : grants) {
            if (grant.resource() == resource && grant.capabilities().contains(capability) && roles.stream().anyMatch(grant.roles()::contains)
                    && grant.paths().stream().anyMatch(p -> p.matches(path))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a listing under {@code prefix} may show anything at all to these roles. */
    public boolean mayListUnder(Set<String> roles, String prefix) {
        for (Grant grant : grants) {
            if (grant.resource() == Resource.SECRETS && grant.capabilities().contains(Capability.LIST) && roles.stream().anyMatch(grant.roles()::contains)
                    && grant.paths().stream().anyMatch(p -> p.reaches(prefix))) {
                return true;
            }
        }
        return false;
    }

    public int rules() {
        return grants.size();
    }
}
