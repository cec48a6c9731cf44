package dev.sekisho.alert.detection;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.sekisho.common.net.Cidr;

/**
 * One field of a Sigma selection ({@code user|startswith: svc-}): the field, its modifiers and its values, any of
 * which matches (all of them with {@code |all}). Strings match case-insensitively, as in Sigma, unless {@code |cased};
 * {@code *} and {@code ?} are wildcards; {@code |cidr} takes networks; {@code |exists} takes true or false; a null
 * value matches a signal without the field.
 */
final class FieldMatcher {

    /** The modifiers Sigma defines that Sekisho evaluates. */
    static final Set<String> SUPPORTED = Set.of("contains", "startswith", "endswith", "cidr", "all", "exists", "cased");
    /** Sigma modifiers refused, with the reason a rule author reads. */
    static final java.util.Map<String, String> REFUSED = java.util.Map.of(
            "re", "regular expressions are not supported (their cost per signal is unbounded): use wildcards or contains",
            "base64", "encoding modifiers do not apply to signals (their labels are plain text)",
            "base64offset", "encoding modifiers do not apply to signals (their labels are plain text)",
            "wide", "encoding modifiers do not apply to signals (their labels are plain text)",
            "windash", "Windows command-line modifiers do not apply to signals",
            "lt", "numeric comparisons are not supported yet", "lte", "numeric comparisons are not supported yet",
            "gt", "numeric comparisons are not supported yet", "gte", "numeric comparisons are not supported yet",
            "fieldref", "field references are not supported yet");

    private final String field;
    private final boolean all;
    private final Boolean exists;
    private final List<Cidr> networks;
    private final List<Glob> patterns;
    private final boolean anyAbsent;
    private final boolean cased;

    private FieldMatcher(String field, boolean all, Boolean exists, List<Cidr> networks, List<Glob> patterns, boolean anyAbsent,
            boolean cased) {
        this.field = field;
        this.all = all;
        this.exists = exists;
        this.networks = networks;
        this.patterns = patterns;
        this.anyAbsent = anyAbsent;
        this.cased = cased;
    }

    /**
     * @param values the YAML values, as text; null for YAML's null
     * @throws IllegalArgumentException with the reason a rule author reads
     */
    static FieldMatcher of(String field, List<String> modifiers, List<String> values) {
        if (field.isEmpty()) {
            throw new IllegalArgumentException("a selection names no field");
        }
        for (String modifier : modifiers) {
            if (REFUSED.containsKey(modifier)) {
                throw new IllegalArgumentException("modifier |" + modifier + ": " + REFUSED.get(modifier));
            }
            if (!SUPPORTED.contains(modifier)) {
                throw new IllegalArgumentException("unknown modifier |" + modifier + " (supported: " + String.join(", ", new java.util.TreeSet<>(SUPPORTED)) + ")");
            }
        }
        if (values.isEmpty()) {
            throw new IllegalArgumentException(field + " has an empty list of values");
        }
        boolean all = modifiers.contains("all");
        boolean cased = modifiers.contains("cased");
        if (modifiers.contains("exists")) {
            if (modifiers.size() > 1 || values.size() != 1 || !("true".equals(values.get(0)) || "false".equals(values.get(0)))) {
                throw new IllegalArgumentException(field + "|exists takes true or false, and no other modifier");
            }
            return new FieldMatcher(field, false, Boolean.parseBoolean(values.get(0)), List.of(), List.of(), false, false);
        }
        if (modifiers.contains("cidr")) {
            if (modifiers.stream().anyMatch(m -> !m.equals("cidr"))) {
                throw new IllegalArgumentException(field + "|cidr takes no other modifier");
            }
            List<Cidr> networks = values.stream().map(value -> {
                try {
                    return Cidr.parse(value == null ? "" : value);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(field + "|cidr: '" + value + "' is not a network");
                }
            }).toList();
            return new FieldMatcher(field, false, null, networks, List.of(), false, false);
        }
        long positional = modifiers.stream().filter(m -> m.equals("contains") || m.equals("startswith") || m.equals("endswith")).count();
        if (positional > 1) {
            throw new IllegalArgumentException(field + " has more than one of contains, startswith, endswith");
        }
        boolean anyAbsent = false;
        List<Glob> patterns = new java.util.ArrayList<>();
        for (String value : values) {
            if (value == null) {
                anyAbsent = true;
                continue;
            }
            String pattern = modifiers.contains("contains") ? "*" + value + "*"
                    : modifiers.contains("startswith") ? value + "*" : modifiers.contains("endswith") ? "*" + value : value;
            Glob glob = Glob.of(pattern);
            patterns.add(cased ? glob : glob.lowerCase());
        }
        if (anyAbsent && all) {
            throw new IllegalArgumentException(field + "|all cannot include null");
        }
        return new FieldMatcher(field, all, null, List.of(), List.copyOf(patterns), anyAbsent, cased);
    }

    boolean test(Signal signal) {
        String value = signal.field(field);
        if (exists != null) {
            return exists == (value != null);
        }
        if (value == null) {
            return anyAbsent;
        }
        if (!networks.isEmpty()) {
            for (Cidr network : networks) {
                if (network.contains(value)) {
                    return true;
                }
            }
            return false;
        }
        String text = cased ? value : value.toLowerCase(Locale.ROOT);
        if (all) {
            for (Glob pattern : patterns) {
                if (!pattern.matches(text)) {
                    return false;
                }
            }
            return true;
        }
        for (Glob pattern : patterns) {
            if (pattern.matches(text)) {
                return true;
            }
        }
        return false;
    }
}
